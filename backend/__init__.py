"""The Accueil backend: an aiohttp service owning all state."""
