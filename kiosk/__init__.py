"""The lobby kiosk (Kivy). Its screens arrive with the kiosk issue; the backend API it uses is in place."""
