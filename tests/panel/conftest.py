from tests.backend.conftest import backend  # noqa: F401
