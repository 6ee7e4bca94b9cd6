"""Receipts: the digital copy (PDF) of what the kiosk prints."""
