"""Cells a spreadsheet opens as text: a value starting like a formula (= + - @, tab, CR) is neutralised with a
leading apostrophe, as OWASP advises against CSV injection."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> str:
    """The cell's text, never run as a formula. A value that already starts with apostrophes before such a
    character gets one more, so an import that takes one off gives back exactly what was stored."""
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text
