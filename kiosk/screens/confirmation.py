from kivy.uix.screenmanager import Screen


class ConfirmationScreen(Screen):
    """The visitor is told who knows they are here, live; offline, what to do instead."""
