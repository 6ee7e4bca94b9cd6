"""The kiosk's state and decisions, as Kivy EventDispatchers; no widget is imported here."""
