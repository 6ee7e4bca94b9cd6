from kivy.uix.screenmanager import Screen


class PayCardScreen(Screen):
    """The reader waits for the card: what to do, the amount, the time left, Cancel; test cards in test mode."""
