from kivy.uix.screenmanager import Screen


class WelcomeScreen(Screen):
    """The site's name, the time, the language, and what the visitor came to do."""
