"""Sending email through the site's SMTP server (aiosmtplib); addresses checked with email-validator."""
from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib
from email_validator import EmailNotValidError, validate_email

from backend.core.errors import ApiError, InvalidInput
from backend.settings import Settings
from shared.api import FieldProblem

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20


class MailUnavailable(ApiError):
    status, title = 503, "Email unavailable"


def valid_address(address: str, field: str = "email") -> str:
    """The address in its normal form, or 422 saying what is wrong with it (no DNS lookup: it may be offline)."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidInput("This email address is not valid.",
                           [FieldProblem(field=field, code="email_invalid", detail=str(error))]) from None


async def send(settings: Settings, message: EmailMessage) -> None:
    if not settings.smtp_host:
        raise MailUnavailable("Email is not set up on this server (ACCUEIL_SMTP_HOST).")
    message["From"] = settings.mail_from
    try:
        await aiosmtplib.send(
            message, hostname=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            start_tls=settings.smtp_starttls, timeout=SMTP_TIMEOUT)
    except (aiosmtplib.SMTPException, OSError) as error:
        log.warning("email could not be sent: %s", type(error).__name__)
        raise MailUnavailable("The mail server did not accept the message; try again later.") from None
