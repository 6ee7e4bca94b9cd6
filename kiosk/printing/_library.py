"""python-escpos, imported on first use and kept from taking over the application's logging.

Importing escpos (3.1) calls logging.basicConfig(), and its printers log through the root logger's module functions
(logging.info), which call basicConfig() too when the root logger has no handler yet. Either would leave a handler
the application did not choose, and make its own logging.basicConfig() later do nothing. The import also makes a new
temporary folder at every start for its pickled printer database: pointed here at one stable cache folder instead.
"""
from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

_modules: dict[str, ModuleType] = {}


@contextlib.contextmanager
def root_logging_untouched() -> Iterator[None]:
    """Removes whatever handlers python-escpos adds to the root logger while in the block."""
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)


def escpos() -> dict[str, ModuleType]:
    """{'printer', 'capabilities', 'exceptions', 'magicencode', 'constants'} modules of python-escpos."""
    if not _modules:
        cache = Path(tempfile.gettempdir()) / "accueil-escpos"
        cache.mkdir(exist_ok=True)
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(cache))
        with root_logging_untouched():
            from escpos import capabilities, constants, exceptions, magicencode, printer
        _modules.update(printer=printer, capabilities=capabilities, exceptions=exceptions,
                        magicencode=magicencode, constants=constants)
    return _modules
