"""The client records tests run on the backend's fixtures."""
from tests.backend.conftest import backend  # noqa: F401
