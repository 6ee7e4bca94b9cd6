"""Reminders about cheques, in a loop: the pick-up errand on its day, cheques left at the desk every N days
(ACCUEIL_CHEQUE_REMINDER_DAYS), and held cheques on their follow-up date.

Each reminder notes the day it was sent on its row, so a reminder goes at most once a day whatever the number of
rounds or backend instances. `run_cheque_reminders(app)` does one round: tests call it after moving their clock.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from aiohttp import web
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.appkeys import CLOCK, DATABASE, SETTINGS
from backend.cheques import news
from backend.cheques.models import Cheque, Employee, PayrollRun
from backend.cheques.service import local_today
from backend.cheques.states import ChequeStatus, RunState
from backend.cheques.wording import (
    FOLLOW_UP_BODY, FOLLOW_UP_SUBJECT, PICKUP_BODY, PICKUP_SUBJECT, REMINDER_BODY, REMINDER_SUBJECT, Words,
)
from backend.core.events import Audience
from backend.routing import rules

log = logging.getLogger(__name__)

CLAIM_LIMIT = 500
RUNNING = web.AppKey("cheque_reminders_running", asyncio.Lock)


async def pickup_reminders(session: AsyncSession, at: dt.datetime) -> news.Tidings:
    """The assignee of each run to fetch today (or fetched late and not yet reminded) is told, once."""
    tidings = news.Tidings()
    runs = (await session.scalars(select(PayrollRun).where(
        PayrollRun.state == RunState.AWAITING_PICKUP, PayrollRun.pickup_assignee_id.is_not(None),
        PayrollRun.pickup_due_on.is_not(None),
        or_(PayrollRun.pickup_reminded_on.is_(None), PayrollRun.pickup_reminded_on < PayrollRun.pickup_due_on))
        .order_by(PayrollRun.id).limit(CLAIM_LIMIT).with_for_update(skip_locked=True))).all()
    for run in runs:
        today = await local_today(session, run.site_id, at)
        if run.pickup_due_on > today:
            continue
        words = await Words.of_site(session, run.site_id)
        count = len(list(await session.scalars(select(Cheque.id).where(Cheque.run_id == run.id))))
        subject = words.say(PICKUP_SUBJECT, company=run.payroll_company)
        body = words.say(PICKUP_BODY, company=run.payroll_company, pay_date=words.date(run.pay_date), count=count)
        tidings.add(await news.tell_staff(session, [run.pickup_assignee_id], "payroll_run.pickup_due", subject, body,
                                          f"payroll_run:{run.id}", at, email=True, channels=False))
        tidings.events.append(({"type": "payroll_run.pickup_due", "run": news.run_summary(run), "subject": subject,
                                "body": body}, Audience(staff_ids=frozenset({run.pickup_assignee_id}))))
        run.pickup_reminded_on = today
        tidings.reminded += 1
    return tidings


def _due(cheque: Cheque, today: dt.date, ready_on: dt.date | None, every: int) -> bool:
    """Whether the cheque's employee is to be reminded today."""
    if cheque.reminded_on is not None and cheque.reminded_on >= today:
        return False  # never twice the same day
    if cheque.status == ChequeStatus.HELD:
        # The employee was away: the first reminder is on the follow-up date, then every N days.
        start = cheque.follow_up_on
        if start is None or today < start:
            return False
        last = cheque.reminded_on
        return last is None or last < start or today >= last + dt.timedelta(days=every)
    if ready_on is None or today < ready_on + dt.timedelta(days=every):
        return False
    return cheque.reminded_on is None or today >= cheque.reminded_on + dt.timedelta(days=every)


async def cheque_reminders(session: AsyncSession, at: dt.datetime, every: int) -> news.Tidings:
    tidings = news.Tidings()
    rows = (await session.execute(
        select(Cheque, Employee, PayrollRun).join(Employee, Employee.id == Cheque.employee_id)
        .join(PayrollRun, PayrollRun.id == Cheque.run_id)
        .where(Cheque.status.in_((ChequeStatus.AT_DESK, ChequeStatus.HELD)), Cheque.ready_told_at.is_not(None))
        .order_by(Cheque.id).limit(CLAIM_LIMIT).with_for_update(skip_locked=True, of=Cheque))).all()
    words_by_site: dict[int, Words] = {}
    for cheque, employee, run in rows:
        today = await local_today(session, run.site_id, at)
        ready_on = await local_today(session, run.site_id, cheque.ready_told_at)
        if not _due(cheque, today, ready_on, every):
            continue
        words = words_by_site.get(run.site_id) or await Words.of_site(session, run.site_id)
        words_by_site[run.site_id] = words
        values = words.cheque_values(cheque, employee, run)
        first_follow_up = cheque.status == ChequeStatus.HELD and (
            cheque.reminded_on is None or cheque.reminded_on < cheque.follow_up_on)
        told = await news.tell_employee(
            session, employee, "cheque.reminder", words.say(REMINDER_SUBJECT),
            words.say(REMINDER_BODY, since=words.date(ready_on), **values), f"cheque:{cheque.id}", at)
        tidings.add(told)
        if first_follow_up:
            desk = await rules.receptionists(session)
            tidings.add(await news.tell_staff(session, desk, "cheque.follow_up", words.say(FOLLOW_UP_SUBJECT, **values),
                                              words.say(FOLLOW_UP_BODY, **values), f"cheque:{cheque.id}", at,
                                              email=False, channels=False))
        cheque.reminded_on = today  # also when there was nobody to tell: it is looked at again in N days
        if told.deliveries or told.told_staff:
            tidings.reminded += 1
    return tidings


async def run_cheque_reminders(app: web.Application) -> int:
    """One round: every reminder due now is written and sent; returns how many were sent."""
    async with app[RUNNING]:
        at = app[CLOCK]()
        async with app[DATABASE].write() as session:
            tidings = await pickup_reminders(session, at)
            tidings.add(await cheque_reminders(session, at, app[SETTINGS].cheque_reminder_days))
    await news.publish(app, tidings)
    if tidings.reminded:
        log.info("cheque reminders: %d sent", tidings.reminded)
    return tidings.reminded
