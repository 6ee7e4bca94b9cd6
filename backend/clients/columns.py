"""Which client field each column of an imported spreadsheet fills, and a row's cells as ClientIn's fields.

The guess reads the header names French and English spreadsheets use; the person importing sees it in the
preview and may change any of it.
"""
from __future__ import annotations

import re
from typing import Any

from backend.clients.sheets import SheetError
from shared.api import FieldProblem
from shared.enums import ClientKind, ClientStatus
from shared.fields import folded

# Cells our own export escaped against formula injection: the apostrophe is not part of the value.
ESCAPED = re.compile(r"^'(?='*[=+\-@\t\r])")
DAY_FIRST = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
ISO_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00(\.0+)?)?$")
KINDS = {"person": ClientKind.PERSON, "personne": ClientKind.PERSON, "particulier": ClientKind.PERSON,
         "individual": ClientKind.PERSON, "organisation": ClientKind.ORGANISATION,
         "organization": ClientKind.ORGANISATION, "entreprise": ClientKind.ORGANISATION,
         "societe": ClientKind.ORGANISATION, "company": ClientKind.ORGANISATION}
STATUSES = {"active": ClientStatus.ACTIVE, "actif": ClientStatus.ACTIVE, "inactive": ClientStatus.INACTIVE,
            "inactif": ClientStatus.INACTIVE}
# What import can fill: ClientIn's fields, and a whole name to split ("Côté, Hélène" or "Hélène Côté").
FIELDS = ("kind", "given_name", "family_name", "full_name", "organisation_name", "number", "date_of_birth", "phone",
          "phone_alt", "email", "address", "city", "region", "postal_code", "country", "notes", "tags", "status",
          "retain_until")
# Header names as French and English spreadsheets write them, folded (no accents, case or punctuation).
ALIASES = {
    "kind": "type|type de client|client type|kind|genre de client",
    "given_name": "prenom|prenoms|first name|firstname|given name|forename|first",
    "family_name": "nom|nom de famille|nom famille|last name|lastname|surname|family name|last",
    "full_name": "nom complet|nom et prenom|nom prenom|prenom et nom|prenom nom|name|full name|client name|"
                 "nom du client|patient|client",
    "organisation_name": "organisation|organization|entreprise|societe|compagnie|company|raison sociale|"
                         "organisation name|organization name|nom de l entreprise|employeur|employer",
    "number": "no de dossier|n de dossier|no dossier|n dossier|numero de dossier|num dossier|dossier|numero|no|"
              "number|no client|n client|numero de client|numero client|client number|client no|file number|"
              "file no|patient number|numero de patient|no patient|account number|matter number|student number|"
              "matricule|mrn|chart number|record number|identifiant",
    "date_of_birth": "date de naissance|naissance|date naissance|ddn|ne le|nee le|dob|date of birth|"
                     "birth date|birthdate|birthday|d o b",
    "phone": "telephone|tel|phone|phone number|telephone number|numero de telephone|no de telephone|"
             "telephone principal|cellulaire|cell|mobile|portable|tel domicile|home phone",
    "phone_alt": "telephone 2|tel 2|phone 2|autre telephone|telephone secondaire|telephone travail|tel travail|"
                 "tel bureau|work phone|other phone|alternate phone|alt phone|phone alt",
    "email": "courriel|adresse courriel|email|e mail|mail|adresse electronique|adresse e mail|email address|"
             "e mail address|courriel principal",
    "address": "adresse|adresse postale|address|street|street address|rue|adresse civique",
    "city": "ville|city|municipalite|town|localite",
    "region": "province|region|state|province etat|etat province|state province",
    "postal_code": "code postal|postal code|postcode|zip|zip code|cp",
    "country": "pays|country|code pays|country code",
    "notes": "notes|note|remarques|remarque|commentaires|commentaire|comments|comment|remarks|observations",
    "tags": "etiquettes|etiquette|tags|tag|categories|mots cles|labels",
    "status": "statut|status|etat du dossier|record status",
    "retain_until": "conserver jusqu au|a conserver jusqu au|retain until|retention|conservation|"
                    "date de destruction|destroy after",
}
_BY_ALIAS = {alias: name for name, aliases in ALIASES.items() for alias in aliases.split("|")}
_BY_ALIAS.update({name.replace("_", " "): name for name in FIELDS})  # our own export's headers


def _words(header: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded(header)).split())


def guess_mapping(columns: list[str]) -> dict[str, str | None]:
    """Each column's field, from its name: an exact name first, else a name it starts with ("Téléphone
    (maison)"); each field filled by one column only, a second phone going to phone_alt."""
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    prefixes = sorted(_BY_ALIAS, key=len, reverse=True)
    for column in columns:
        words = _words(column)
        target = _BY_ALIAS.get(words) or next(
            (_BY_ALIAS[alias] for alias in prefixes if words.startswith(alias + " ")), None)
        if target == "phone" and "phone" in taken:
            target = "phone_alt"
        if target in taken:
            target = None
        mapping[column] = target
        if target:
            taken.add(target)
    if "full_name" in taken and taken & {"given_name", "family_name"}:
        # "Nom" with "Prénom" is the family name, and a "Client" column beside them is something else.
        mapping = {column: None if target == "full_name" else target for column, target in mapping.items()}
    return mapping


def resolve_mapping(columns: list[str], given: dict[str, Any] | None) -> tuple[dict[str, str | None],
                                                                              dict[str, str | None]]:
    """The mapping to use and the guess it started from: the columns `given` names take the field it says (None
    to ignore the column); the others keep the guess. SheetError names what is wrong in `given`."""
    guessed = guess_mapping(columns)
    mapping = dict(guessed)
    for column, target in (given or {}).items():
        if column not in mapping:
            raise SheetError(f"The mapping names a column the file does not have: {column!r}.")
        if target is not None and target not in FIELDS:
            raise SheetError(f"The mapping names an unknown field {target!r}: use one of {', '.join(FIELDS)}.")
        mapping[column] = target
    if given:
        # A field the user gave a column to leaves the column the guess had picked for it.
        for column, target in guessed.items():
            if column not in given and target in given.values():
                mapping[column] = None
    chosen = [target for target in mapping.values() if target]
    if twice := sorted({target for target in chosen if chosen.count(target) > 1}):
        raise SheetError(f"Several columns fill the same field: {', '.join(twice)}.")
    if "full_name" in chosen and {"given_name", "family_name"} & set(chosen):
        raise SheetError("Map a whole name (full_name) or given and family names, not both.")
    return mapping, guessed


def _date(raw: str) -> str:
    """What parse_date reads: DD-MM-YYYY and DD.MM.YYYY as DD/MM/YYYY, a midnight timestamp as its day."""
    if found := DAY_FIRST.match(raw):
        return "/".join(found.groups())
    if found := ISO_STAMP.match(raw):
        return found.group(1)
    return raw


def cells_given(cells: list[str], mapping: dict[str, str | None], columns: list[str]) -> dict[str, str]:
    """The row's non-empty cells by field: an empty cell gives nothing, so the record keeps its default."""
    given: dict[str, str] = {}
    for index, column in enumerate(columns):
        target = mapping.get(column)
        if target is None or index >= len(cells):
            continue
        # Line breaks inside a cell come as CRLF from Windows: kept as plain line breaks.
        cell = ESCAPED.sub("", cells[index].strip()).replace("\r\n", "\n").replace("\r", "\n")
        if cell:
            given[target] = cell
    return given


def client_fields(given: dict[str, str], problems: list[FieldProblem]) -> dict[str, Any]:
    """The row as ClientIn's fields; words a spreadsheet uses for kind and status are understood."""
    data: dict[str, Any] = dict(given)
    if full := data.pop("full_name", None):
        if "," in full:  # "Côté, Hélène", as lists sorted by family name write it
            family, first = full.split(",", 1)
        elif " " in full:
            first, family = full.rsplit(" ", 1)
        else:
            family, first = full, ""
        data.setdefault("family_name", family.strip())
        if first.strip():
            data.setdefault("given_name", first.strip())
    for name in ("date_of_birth", "retain_until"):
        if name in data:
            data[name] = _date(data[name])
    if "tags" in data:
        data["tags"] = [tag for tag in re.split(r"[,;]", data["tags"]) if tag.strip()]
    for name, words in (("kind", KINDS), ("status", STATUSES)):
        if name in data:
            word = folded(data[name]).strip()
            if word not in words:
                problems.append(FieldProblem(field=name, code=f"{name}_invalid",
                                             detail=f"Use one of: {', '.join(sorted(set(words.values())))}."))
                del data[name]
            else:
                data[name] = words[word]
    if "kind" not in data and data.get("organisation_name") and not (data.get("given_name")
                                                                      or data.get("family_name")):
        data["kind"] = ClientKind.ORGANISATION
    return data
