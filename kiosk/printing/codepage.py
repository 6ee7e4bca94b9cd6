"""Which single-byte code page receipt text goes out in, and what to print for characters it lacks.

One fixed code page for the whole receipt, chosen from those the printer profile lists, instead of python-escpos's
"magic" switching: one page that has every French letter and the currency signs means one known ESC t n to re-send
after a reset, and a byte stream anyone can decode to check it.
"""
from __future__ import annotations

import codecs
import unicodedata

# Best first. Windows-1252 (Epson table 16) has every French letter, œ, the euro sign, « », ’ and the bullet •;
# CP858 is CP850 plus €; CP863 is the Canadian French DOS page, without €: last resort for an old printer.
PREFERRED = ("CP1252", "CP858", "ISO_8859-15", "CP850", "CP863")
PYTHON_CODECS = {"CP1252": "cp1252", "CP858": "cp858", "ISO_8859-15": "iso8859_15", "CP850": "cp850",
                 "CP863": "cp863", "CP437": "cp437"}

# What to print where the page has no glyph. Babel puts narrow and ordinary no-break spaces in amounts, dates and
# percentages ("57,49 $", "1:30 p.m."); a plain space keeps them readable and keeps the column count exact.
FALLBACKS = {
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "•": "*", "×": "x", "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...", "œ": "oe", "Œ": "OE", "€": "EUR", "№": "No",
}
# Printed as a space even where the page has the no-break space: some firmware prints its byte as a glyph.
ALWAYS_REPLACED = {"\u00a0", "\u202f", "\u2009", "\u2007"}


def choose_code_page(code_pages: dict[str, str]) -> str:
    """The best of PREFERRED among a profile's {name: table number}; CP437 (every printer's table 0) otherwise."""
    for name in PREFERRED:
        if name in code_pages:
            return name
    return "CP437"


def python_codec(code_page: str) -> str:
    return PYTHON_CODECS.get(code_page, code_page.lower())


def can_print(char: str, code_page: str) -> bool:
    try:
        codecs.encode(char, python_codec(code_page))
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str, code_page: str) -> str:
    """`text` with every character the code page lacks replaced by its closest plain form, never silently lost."""
    out = []
    for char in text:
        if char in ALWAYS_REPLACED:
            out.append(" ")
        elif can_print(char, code_page):
            out.append(char)
        elif char in FALLBACKS and all(can_print(c, code_page) for c in FALLBACKS[char]):
            out.append(FALLBACKS[char])
        else:
            # Strip accents the page lacks (ŝ -> s) before giving up with a question mark.
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(can_print(c, code_page) for c in base) else "?")
    return "".join(out)
