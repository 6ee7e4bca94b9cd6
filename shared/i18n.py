"""Translations: gettext catalogs under assets/locale, French and English, msgids in English."""
from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from shared.enums import Language

LOCALE_DIR = Path(__file__).resolve().parent.parent / "assets" / "locale"
DOMAIN = "accueil"


def catalog_path(language: Language | str) -> Path:
    return LOCALE_DIR / str(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: Language | str) -> gettext.GNUTranslations:
    """The language's catalog, compiled in memory from its .po file (no build step to forget)."""
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=str(language))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translate(language: Language | str, message: str) -> str:
    return translations(language).gettext(message)


def N_(message: str) -> str:
    """Marks a message kept as data (an error to show later) for the catalogs; translated where shown."""
    return message
