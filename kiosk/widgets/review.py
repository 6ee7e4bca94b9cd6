from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout


class ReviewRow(BoxLayout):
    """A question and its answer; a Change button when it can be changed."""

    label = StringProperty("")
    value = StringProperty("")
    key = StringProperty("")
