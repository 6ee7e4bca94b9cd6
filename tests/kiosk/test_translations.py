"""Every message the kiosk shows has a French and an English translation, with the same placeholders."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from shared.i18n import catalog_path, translate
from shared.messages import kiosk_messages

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_message_is_translated(language: str):
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(kiosk_messages() - set(translated))
    assert missing == [], f"run scripts/update-catalogs and translate: {missing}"
    for message, translation in translated.items():
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translation)), message


def test_french_is_french():
    assert translate("fr", "Check in") == "Je signale mon arrivée"
    assert translate("fr", "Whom are you visiting?") == "Qui venez-vous voir ?"
    assert translate("en", "Whom are you visiting?") == "Whom are you visiting?"


def test_the_extractor_sees_kv_files_and_marked_data():
    messages = kiosk_messages()
    assert "Large text" in messages  # a kv file
    assert "Wrong PIN." in messages  # kept as data, marked with N_
    assert "This field is required." in messages  # shared field validation
