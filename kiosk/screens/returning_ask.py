from kivy.uix.screenmanager import Screen


class ReturningAskScreen(Screen):
    """During check-in: "Have you visited us before?" — find my file, or first visit."""
