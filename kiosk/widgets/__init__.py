"""Widgets every screen uses: buttons, tiles, the top bar, the on-screen keyboard."""
