"""Finding every message the kiosk shows, in its Python and kv sources, to check the catalogs are complete."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "kiosk", ROOT / "shared", ROOT / "backend" / "panel", ROOT / "backend" / "receipts",
           ROOT / "backend" / "routing", ROOT / "backend" / "calls", ROOT / "backend" / "cheques"]
TRANSLATED_CALLS = {"t", "_both", "N_", "translate"}
KV_CALL = re.compile(r"""\bt\(\s*"((?:[^"\\]|\\.)+)\"""")
TEMPLATE_CALL = re.compile(r"""\b_\(\s*'([^']+)'\s*\)""")


def _python_messages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        # translate(language, message) and FieldError(code, message) carry the message second.
        position = 1 if name in {"translate", "FieldError"} else 0
        if name in TRANSLATED_CALLS | {"FieldError"} and len(node.args) > position:
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and argument.value:
                found.add(argument.value)
    return found


def kiosk_messages() -> set[str]:
    """Every msgid the kiosk and the staff panel can show."""
    messages: set[str] = set()
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            messages |= _python_messages(path)
        for path in folder.rglob("*.html"):
            messages |= set(TEMPLATE_CALL.findall(path.read_text()))
        for path in folder.rglob("*.kv"):
            messages |= {m.encode().decode("unicode_escape") if "\\" in m else m
                         for m in KV_CALL.findall(path.read_text())}
    return messages
