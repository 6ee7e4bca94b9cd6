from kivy.properties import BooleanProperty
from kivy.uix.screenmanager import Screen


class WelcomeScreen(Screen):
    """The site's name, the time, the language, and what the visitor came to do."""

    takes_payments = BooleanProperty(False)  # the configuration has payments: the Pay button shows
