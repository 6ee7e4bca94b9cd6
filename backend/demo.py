"""The demo clinic: seeded once into an empty database, with a kiosk whose token is kept in the data dir."""
from __future__ import annotations

import datetime as dt
import os
import unicodedata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cheques import demo as payroll_demo
from backend.clients import service as clients
from backend.core.db import Database
from backend.kiosks import service as kiosks
from backend.organisation.models import Department, Site
from backend.routing.models import OpeningHours
from backend.payments.models import Fee, SiteTax
from backend.staff import service as staff
from backend.visits.models import VisitorField, VisitorType
from shared.enums import ClientKind, FieldKind, Role

DEMO_PASSWORD = "accueil-demo"
KIOSK_PIN = "2468"  # the demo kiosk's staff PIN (settings, leaving full screen)
KIOSK_TOKEN_FILE = "demo-kiosk.token"

DEPARTMENTS = [
    ("Accueil", "Reception"),
    ("Médecine familiale", "Family medicine"),
    ("Pédiatrie", "Paediatrics"),
    ("Prélèvements", "Blood tests"),
    ("Facturation", "Billing"),
    ("Dossiers médicaux", "Medical records"),
]
# Routing (French name): the number the auto-attendant transfers to, weekday hours, the department that stands
# in while it is closed.
ROUTING = {
    "Accueil": ("+15145550100", (dt.time(8), dt.time(18)), None),
    "Médecine familiale": ("+15145550110", (dt.time(8), dt.time(17)), "Accueil"),
    "Pédiatrie": ("+15145550120", (dt.time(8), dt.time(16)), "Médecine familiale"),
    "Prélèvements": ("+15145550130", (dt.time(7), dt.time(12)), "Accueil"),
    "Facturation": ("+15145550140", (dt.time(9), dt.time(16, 30)), "Accueil"),
    "Dossiers médicaux": ("", (dt.time(9), dt.time(16)), "Accueil"),
}
EMAIL_DOMAIN = "clinique-du-parc.example"
# A few client records, so the demo's search and records have something to show.
DEMO_CLIENTS = [
    {"given_name": "Hélène", "family_name": "Côté", "number": "P-1042", "date_of_birth": dt.date(1961, 4, 12),
     "phone": "+15145550123", "email": "helene.cote@example.org", "city": "Montréal", "tags": ["diabète"]},
    {"given_name": "Marc-André", "family_name": "Bélanger", "number": "P-2001", "date_of_birth": dt.date(1984, 9, 3),
     "phone": "+14385550177", "city": "Laval"},
    {"kind": ClientKind.ORGANISATION, "organisation_name": "Garderie Les Petits Pas", "number": "O-0007",
     "phone": "+15145550190", "email": "direction@petitspas.example", "city": "Montréal"},
]

# login, name, roles, departments (French names), listed at the kiosk
STAFF = [
    ("gestion", "Manon Gagnon", {Role.ADMIN}, [], False),
    ("accueil", "Hélène Côté", {Role.RECEPTIONIST}, ["Accueil"], False),
    ("dr.tremblay", "Dr Étienne Tremblay", {Role.DEPARTMENT_STAFF}, ["Médecine familiale"], True),
    ("dre.nguyen", "Dre Linh Nguyen", {Role.DEPARTMENT_STAFF}, ["Pédiatrie"], True),
    ("inf.leblanc", "Josée Leblanc, inf.", {Role.DEPARTMENT_STAFF}, ["Prélèvements"], True),
    ("facturation", "Marc-André Roy", {Role.DEPARTMENT_STAFF}, ["Facturation"], False),
    ("dossiers", "Chloé Bélanger", {Role.CLERK}, ["Dossiers médicaux"], False),
]


def _field(key: str, kind: FieldKind, fr: str, en: str, required: bool = False,
           choices: list[tuple[str, str, str]] = ()) -> VisitorField:
    return VisitorField(key=key, kind=kind, label_fr=fr, label_en=en, required=required,
                        choices=[{"value": v, "fr": f, "en": e} for v, f, e in choices])


def _visitor_types(site_id: int) -> list[VisitorType]:
    return [
        VisitorType(site_id=site_id, key="patient", name_fr="Patient·e", name_en="Patient", position=1, fields=[
            _field("date_of_birth", FieldKind.DATE, "Date de naissance", "Date of birth", required=True),
            _field("callback_phone", FieldKind.PHONE, "Téléphone pour vous joindre", "Phone to reach you",
                   required=True),
            _field("first_visit", FieldKind.YES_NO, "Première visite à la clinique ?", "First visit to the clinic?"),
            _field("reason", FieldKind.CHOICE, "Motif", "Reason", required=True, choices=[
                ("appointment", "Rendez-vous", "Appointment"),
                ("walk_in", "Sans rendez-vous", "Walk-in"),
                ("results", "Résultats d’examens", "Test results"),
            ]),
        ]),
        VisitorType(site_id=site_id, key="visitor", name_fr="Visiteur ou visiteuse", name_en="Visitor",
                    position=2, fields=[
            _field("company", FieldKind.TEXT, "Entreprise ou organisme", "Company or organisation"),
        ]),
        VisitorType(site_id=site_id, key="delivery", name_fr="Livraison", name_en="Delivery", position=3, fields=[
            _field("carrier", FieldKind.TEXT, "Transporteur", "Carrier", required=True),
            _field("needs_signature", FieldKind.YES_NO, "Signature requise ?", "Signature needed?"),
        ]),
        VisitorType(site_id=site_id, key="candidate", name_fr="Candidat·e à un poste", name_en="Job candidate",
                    position=4, fields=[
            _field("position", FieldKind.TEXT, "Poste", "Position", required=True),
            _field("email", FieldKind.EMAIL, "Courriel", "Email", required=True),
        ]),
    ]


async def seed(session: AsyncSession, at: dt.datetime) -> bool:
    """Seed the demo clinic into an empty database; False (and nothing done) when a site exists."""
    if await session.scalar(select(Site.id).limit(1)) is not None:
        return False
    site = Site(name="Clinique médicale du Parc", address="1200, avenue du Parc, Montréal (Québec) H2V 4E7",
                phone="514 555-0100",
                time_zone="America/Toronto", locale="fr_CA", country="CA", currency="CAD")
    session.add(site)
    await session.flush()
    session.add_all(Department(site_id=site.id, name_fr=fr, name_en=en) for fr, en in DEPARTMENTS)
    session.add_all(_visitor_types(site.id))
    session.add_all([
        SiteTax(site_id=site.id, name="TPS", rate_ppm=50_000, registration="123456789 RT0001", position=1),
        SiteTax(site_id=site.id, name="TVQ", rate_ppm=99_750, registration="1234567890 TQ0001", position=2),
        Fee(site_id=site.id, name_fr="Copie de dossier médical", name_en="Copy of a medical record",
            unit_amount=1500, taxable=True, max_quantity=5, position=1),
        Fee(site_id=site.id, name_fr="Formulaire d’assurance rempli", name_en="Insurance form completed",
            unit_amount=2500, taxable=True, max_quantity=3, position=2),
        Fee(site_id=site.id, name_fr="Stationnement (journée)", name_en="Parking (day)", unit_amount=800,
            taxable=True, max_quantity=2, position=3),
    ])
    await session.flush()
    for login, name, roles, departments, listed in STAFF:
        member = await staff.create_staff(session, login=login, display_name=name, roles=roles,
                                          department_names=departments, password=DEMO_PASSWORD,
                                          listed_at_kiosk=listed, at=at)
        member.email = f"{login.replace('.', '-')}@{EMAIL_DOMAIN}"
    await _routing(session, site.id)
    for values in DEMO_CLIENTS:
        await clients.create_client(session, site, values, None, "import", at)
    await payroll_demo.seed(session, site, at)
    return True


async def _routing(session: AsyncSession, site_id: int) -> None:
    """Opening hours Monday to Friday, transfer numbers and fallbacks; no rota, so each department's members
    are told together. Nobody gets email or chat channels: the demo has no mail server."""
    departments = {d.name_fr: d for d in await session.scalars(select(Department).where(
        Department.site_id == site_id))}
    for name, (phone, (opens, closes), fallback) in ROUTING.items():
        department = departments[name]
        department.phone = phone
        plain = unicodedata.normalize("NFKD", name.split()[0].lower()).encode("ascii", "ignore").decode()
        department.email = f"{plain}@{EMAIL_DOMAIN}"
        department.fallback_department_id = departments[fallback].id if fallback else None
        session.add_all(OpeningHours(department_id=department.id, weekday=day, opens=opens, closes=closes)
                        for day in range(5))


async def kiosk_token(database: Database, data_dir: Path, at: dt.datetime) -> str:
    """The demo kiosk's token, from the data dir, or a new kiosk's when that one is gone."""
    path = data_dir / KIOSK_TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        async with database.read() as session:
            if await kiosks.identify(session, token) is not None:
                return token
    async with database.write() as session:
        _kiosk, token = await kiosks.create_kiosk(session, "Borne du hall", at=at)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(token + "\n")
    return token
