"""POST /hooks/voice…: the auto-attendant, as Twilio Programmable Voice's webhooks (form-encoded POSTs answered
with TwiML). Every request is checked against X-Twilio-Signature with the account's auth token
(ACCUEIL_TWILIO_AUTH_TOKEN) over the public URL Twilio called (ACCUEIL_PUBLIC_URL + path), before anything is
read from it or recorded.

The caller hears a menu in French, then English: one digit per active department that has a phone number.
A choice of an open department puts the caller through; a closed one, or nobody answering, takes a voicemail,
which opens a message slip that escalates until somebody acknowledges it. No choice: the front desk.

Set the number's "A call comes in" webhook to POST <public URL>/hooks/voice; the other addresses are given to
Twilio in the TwiML itself.
"""
from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web
from multidict import MultiDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from backend.appkeys import SETTINGS
from backend.calls import service as calls
from backend.calls.models import Call
from backend.calls.routes import announce
from backend.calls.schemas import CallOut
from backend.core.api import Endpoints, read_limited
from backend.core.errors import ApiError, Forbidden, InvalidInput
from backend.core.events import Audience
from backend.organisation.models import Department, Site
from backend.routing import rules
from backend.web import database, now
from shared.api import FieldProblem
from shared.enums import CallOutcome, CallSource
from shared.fields import FieldError, normalise_phone

log = logging.getLogger(__name__)

routes = Endpoints()

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM_MAX_BYTES = 8 * 1024  # Twilio's forms are about 1-2 KB
CALL_SID_MAX = 100  # Call.external_id
MENU_MAX = 9  # one digit each
GATHER_TIMEOUT = 6  # seconds the caller has to press a digit
DIAL_TIMEOUT = 20  # seconds a department's phone rings before voicemail is offered
VOICEMAIL_MAX_SECONDS = 120
FRENCH, ENGLISH = "fr-CA", "en-CA"  # French first: Québec
ANSWERED = frozenset({"completed", "answered"})  # DialCallStatus when somebody picked up
SIGNED = ((SIGNATURE_HEADER, True, "Twilio's signature of the URL and the form, with the account's auth token."),)
ERRORS = (403, 413, 422, 503)


class VoiceNotSetUp(ApiError):
    status, title = 503, "Voice webhook not set up"


async def twilio_form(request: web.Request) -> MultiDict[str]:
    """The POSTed form, once Twilio's signature of it is checked; 503 without a token, 403 when unsigned or
    forged, 422 without a CallSid."""
    settings = request.config_dict[SETTINGS]
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token is not None else ""
    if not token:
        raise VoiceNotSetUp("The telephone auto-attendant is not set up on this server "
                            "(ACCUEIL_TWILIO_AUTH_TOKEN).")
    raw = await read_limited(request, FORM_MAX_BYTES)
    # A MultiDict, so a repeated field is signed as Twilio signs it (every value).
    form = MultiDict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    sent = request.headers.get(SIGNATURE_HEADER, "")
    if not sent or not RequestValidator(token).validate(settings.base_url + request.path_qs, form, sent):
        log.warning("a voice webhook with a missing or wrong signature was refused")
        raise Forbidden(f"The {SIGNATURE_HEADER} header does not match this request.")
    call_sid = form.get("CallSid", "")
    if not call_sid.strip() or len(call_sid) > CALL_SID_MAX:
        raise InvalidInput("This is not a call Twilio tells of.", [FieldProblem(
            field="CallSid", code="required", detail=f"Twilio's call id, 1 to {CALL_SID_MAX} characters.")])
    return form


def twiml(response: VoiceResponse) -> web.Response:
    return web.Response(text=response.to_xml(), content_type="text/xml")


def say_both(to: VoiceResponse, french: str, english: str) -> None:
    to.say(french, language=FRENCH)
    to.say(english, language=ENGLISH)


def _sort_key(name: str) -> str:
    # Without accents and case: the same order on SQLite and PostgreSQL, whatever their collation.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def menu_departments(session: AsyncSession) -> list[Department]:
    """The menu's choices, digit n being the n-th: active departments a caller can be put through to."""
    rows = (await session.scalars(select(Department).where(Department.active.is_(True), Department.phone != ""))).all()
    return sorted(rows, key=lambda d: (_sort_key(d.name_fr), d.id))[:MENU_MAX]


async def the_site(session: AsyncSession) -> Site | None:
    return await session.scalar(select(Site).order_by(Site.id).limit(1))


def dialable(number: str, country: str) -> str:
    """E.164 when the number reads as one (what Twilio dials best); as typed otherwise."""
    try:
        return normalise_phone(number, country)
    except FieldError:
        return number.strip()


def offer_voicemail(to: VoiceResponse, base_url: str) -> None:
    to.record(action=f"{base_url}/hooks/voice/voicemail", method="POST", max_length=VOICEMAIL_MAX_SECONDS,
              play_beep=True)
    # Reached only when the caller said nothing (Twilio then skips the action): the call is still missed.
    to.redirect(f"{base_url}/hooks/voice/voicemail", method="POST")


def put_through(to: VoiceResponse, number: str, base_url: str) -> None:
    say_both(to, "Un instant, nous transférons votre appel.", "One moment, we are putting you through.")
    to.dial(number, action=f"{base_url}/hooks/voice/dialled", method="POST", timeout=DIAL_TIMEOUT)


async def _caller_call(session: AsyncSession, form: MultiDict[str], at: dt.datetime) -> tuple[Call, bool]:
    # Found by its CallSid; recorded now if an earlier webhook of this call failed before its commit.
    return await calls.phone_call(session, CallSource.TWILIO, form["CallSid"], form.get("From", ""), at,
                                  caller_name=form.get("CallerName", ""))


async def _news(session: AsyncSession, call: Call, new: bool) -> tuple[str, CallOut, Audience]:
    """What to publish once committed (computed inside the transaction): the call as it now is, and to whom."""
    return ("call.logged" if new else "call.updated", await calls.call_out(session, call),
            await calls.call_audience(session, call))


@routes.route("POST", "/hooks/voice", summary="Twilio: a call comes in (answers the menu, TwiML)", auth=None,
              errors=ERRORS, headers=SIGNED)
async def incoming_call(request: web.Request) -> web.Response:
    form = await twilio_form(request)
    base_url = request.config_dict[SETTINGS].base_url
    async with database(request).write() as session:
        call, new = await _caller_call(session, form, now(request))
        site = await the_site(session)
        choices = await menu_departments(session)
        # Back here after a wrong digit: the same call, nothing new to tell.
        news = await _news(session, call, new) if new else None
    if news is not None:
        await announce(request.config_dict, *news)
    response = VoiceResponse()
    name = site.name.strip() if site is not None else ""
    greeting = (f"Bonjour, vous avez joint {name}." if name else "Bonjour.",
                f"Hello, you have reached {name}." if name else "Hello.")
    if choices:
        gather = response.gather(num_digits=1, action=f"{base_url}/hooks/voice/menu", method="POST",
                                 timeout=GATHER_TIMEOUT)
        french = " ".join(f"Pour {d.name_fr}, faites le {n}." for n, d in enumerate(choices, 1))
        english = " ".join(f"For {d.name_en}, press {n}." for n, d in enumerate(choices, 1))
        gather.say(f"{greeting[0]} {french} Pour l'accueil, restez en ligne.", language=FRENCH)
        gather.say(f"{greeting[1]} {english} For the front desk, stay on the line.", language=ENGLISH)
    else:
        say_both(response, *greeting)
    # No digit pressed (Twilio then goes on past the Gather): the menu's "no choice", the front desk.
    response.redirect(f"{base_url}/hooks/voice/menu", method="POST")
    return twiml(response)


@routes.route("POST", "/hooks/voice/menu", summary="Twilio: the caller's menu choice (Digits), TwiML", auth=None,
              errors=ERRORS, headers=SIGNED)
async def menu_choice(request: web.Request) -> web.Response:
    form = await twilio_form(request)
    base_url = request.config_dict[SETTINGS].base_url
    digits = form.get("Digits", "").strip()
    at = now(request)
    response = VoiceResponse()
    async with database(request).write() as session:
        call, new = await _caller_call(session, form, at)
        choices = await menu_departments(session)
        site = await the_site(session)
        country = site.country if site is not None else "CA"
        chosen = choices[int(digits) - 1] if digits in {str(n) for n in range(1, len(choices) + 1)} else None
        if digits and chosen is None:
            say_both(response, "Désolé, ce choix n'existe pas.", "Sorry, that is not one of the choices.")
            response.redirect(f"{base_url}/hooks/voice", method="POST")
            news = await _news(session, call, new) if new else None
        elif chosen is None:
            calls.note(session, call, "front_desk", "", at)
            if site is not None and site.phone.strip():
                await calls.conclude(session, call, CallOutcome.TRANSFERRED, at, base_url)
                put_through(response, dialable(site.phone, country), base_url)
            else:
                say_both(response, "Personne ne peut vous répondre pour le moment. Laissez-nous un message après "
                         "le bip.", "Nobody can take your call right now. Please leave a message after the beep.")
                offer_voicemail(response, base_url)
            news = await _news(session, call, new)
        else:
            call.department_id = chosen.id
            if await rules.is_open(session, chosen, at):
                await calls.conclude(session, call, CallOutcome.TRANSFERRED, at, base_url)
                put_through(response, dialable(chosen.phone, country), base_url)
            else:
                calls.note(session, call, "closed", chosen.name_fr, at)
                say_both(response, f"{chosen.name_fr} : nous sommes fermés pour le moment. Laissez-nous un message "
                         "après le bip.", f"{chosen.name_en} is closed at the moment. Please leave a message after "
                         "the beep.")
                offer_voicemail(response, base_url)
            news = await _news(session, call, new)
    if news is not None:
        await announce(request.config_dict, *news)
    return twiml(response)


@routes.route("POST", "/hooks/voice/dialled", summary="Twilio: how putting the caller through ended, TwiML",
              auth=None, errors=ERRORS, headers=SIGNED)
async def dialled(request: web.Request) -> web.Response:
    form = await twilio_form(request)
    status = form.get("DialCallStatus", "").strip()
    if not status:
        raise InvalidInput("Twilio did not say how the call went.", [FieldProblem(
            field="DialCallStatus", code="required", detail="completed, answered, busy, no-answer, failed…")])
    base_url = request.config_dict[SETTINGS].base_url
    at = now(request)
    response = VoiceResponse()
    news = None
    async with database(request).write() as session:
        call, new = await _caller_call(session, form, at)
        if status in ANSWERED:
            # Told twice (Twilio retrying), the call is answered once.
            if call.outcome != CallOutcome.ANSWERED:
                await calls.conclude(session, call, CallOutcome.ANSWERED, at, base_url)
                news = await _news(session, call, new)
            response.hangup()
        else:
            # busy, no-answer, failed, canceled, or what Twilio may add: a message is better than nothing.
            calls.note(session, call, "not_answered", status[:40], at)
            say_both(response, "Personne ne peut vous répondre pour le moment. Laissez-nous un message après le "
                     "bip.", "Nobody can take your call right now. Please leave a message after the beep.")
            offer_voicemail(response, base_url)
            news = await _news(session, call, new)
    if news is not None:
        await announce(request.config_dict, *news)
    return twiml(response)


@routes.route("POST", "/hooks/voice/voicemail", summary="Twilio: the caller's voicemail (RecordingUrl), TwiML",
              auth=None, errors=ERRORS, headers=SIGNED)
async def voicemail(request: web.Request) -> web.Response:
    form = await twilio_form(request)
    recording = form.get("RecordingUrl", "").strip()
    parts = urlsplit(recording)
    if recording and (parts.scheme not in ("http", "https") or not parts.netloc or len(recording) > 2000):
        raise InvalidInput("The recording's address is not valid.", [FieldProblem(
            field="RecordingUrl", code="url_invalid", detail="An http or https address.")])
    base_url = request.config_dict[SETTINGS].base_url
    at = now(request)
    # Without a recording the caller hung up or said nothing: a missed call, still a message slip.
    outcome = CallOutcome.VOICEMAIL if recording else CallOutcome.MISSED
    news = None
    async with database(request).write() as session:
        call, new = await _caller_call(session, form, at)
        # Told twice (Twilio retrying): one slip, one escalation.
        if call.outcome != outcome:
            await calls.conclude(session, call, outcome, at, base_url, recording_url=recording)
            news = await _news(session, call, new)
    if news is not None:
        await announce(request.config_dict, *news)
    response = VoiceResponse()
    if recording:
        say_both(response, "Merci, votre message a été transmis. Au revoir.",
                 "Thank you, your message has been passed on. Goodbye.")
    else:
        say_both(response, "Merci de votre appel. Au revoir.", "Thank you for calling. Goodbye.")
    response.hangup()
    return twiml(response)
