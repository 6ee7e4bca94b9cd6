"""What people are told about cheques, in the site's language: emails, chat messages and panel notices."""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cheques.employees import display_name
from backend.cheques.models import Cheque, Employee, PayrollRun
from backend.organisation.models import Site
from shared.i18n import N_, translate

READY_SUBJECT = N_("Your pay cheque is ready")
READY_BODY = N_("Hello {name},\n\nYour pay cheque {number} of {pay_date} from {company} is waiting for you at the "
                "front desk. Bring your employee number; if you have a PIN you may also ask for it at the kiosk.")
REMINDER_SUBJECT = N_("Reminder: your pay cheque is waiting at the front desk")
REMINDER_BODY = N_("Hello {name},\n\nYour pay cheque {number} of {pay_date} from {company} has been waiting for you "
                   "at the front desk since {since}. Please come and collect it.")
PICKUP_SUBJECT = N_("Today: collect the payroll cheques from {company}")
PICKUP_BODY = N_("The {count} cheque(s) of the {pay_date} payroll are to be collected today from {company}. "
                 "Record the collection in the panel once you have them.")
REQUEST_SUBJECT = N_("Cheque to hand over at the desk: {name}")
REQUEST_BODY = N_("{name} signed for {count} cheque(s) at the kiosk ({numbers}). Hand them over and confirm it "
                  "in the panel.")
FOLLOW_UP_SUBJECT = N_("Follow up on a held cheque: {name}")
FOLLOW_UP_BODY = N_("Cheque {number} for {name} ({pay_date} payroll) was held until today. Try to reach the "
                    "employee, or decide what to do with it.")


class Words:
    """The site's language and locale, for one message after another."""

    def __init__(self, language: str, locale: str):
        self.language, self.locale = language, locale

    @classmethod
    async def of_site(cls, session: AsyncSession, site_id: int) -> Words:
        locale = await session.scalar(select(Site.locale).where(Site.id == site_id)) or "fr_CA"
        return cls("en" if locale.startswith("en") else "fr", locale)

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self.locale)

    def say(self, message: str, **values: object) -> str:
        return translate(self.language, message).format(**values)

    def cheque_values(self, cheque: Cheque, employee: Employee, run: PayrollRun) -> dict[str, str]:
        return {"name": display_name(employee), "number": cheque.number, "pay_date": self.date(run.pay_date),
                "company": run.payroll_company}
