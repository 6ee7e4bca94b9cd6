from kivy.uix.screenmanager import Screen


class ChequeDoneScreen(Screen):
    """Signed: the employee is sent to the desk, which has been told; the kiosk soon greets the next person."""
