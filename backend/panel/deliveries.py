"""Outgoing notifications in the panel: what was sent where, what is still being tried, and what failed."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from backend.notifications import service as deliveries
from backend.notifications.routes import DELIVERY_ROLES
from backend.organisation import service as organisation
from backend.panel.routes import render, routes, staff_with_role
from backend.web import database
from shared.enums import DeliveryChannel, DeliveryStatus
from shared.i18n import N_

PAGE_LIMIT = 200
STATUS_LABELS = {DeliveryStatus.PENDING: N_("Pending"), DeliveryStatus.RETRYING: N_("Retrying"),
                 DeliveryStatus.DELIVERED: N_("Delivered"), DeliveryStatus.FAILED: N_("Failed")}
# The badge colours the payments pages already use: green done, red failed, amber still going.
STATUS_BADGES = {DeliveryStatus.PENDING: "state-waiting", DeliveryStatus.RETRYING: "state-waiting",
                 DeliveryStatus.DELIVERED: "state-succeeded", DeliveryStatus.FAILED: "state-failed"}
CHANNEL_LABELS = {DeliveryChannel.EMAIL: N_("Email"), DeliveryChannel.SLACK: "Slack", DeliveryChannel.TEAMS: "Teams"}
# The engine's own errors (backend/notifications/channels.py, dispatcher.py), marked so the catalogs carry them;
# a target's answer ("HTTP 500: …") is shown as it came.
KNOWN_ERRORS = (
    N_("Email is not set up on this server (ACCUEIL_SMTP_HOST)."),
    N_("The mail server did not accept the message."),
    N_("The webhook did not answer in time."),
    N_("Could not connect to the webhook."),
    N_("Unexpected error; see the server's log."),
)


async def _deliveries(request: web.Request) -> dict:
    """The page's table: the newest deliveries matching its filters (a status, what they concern)."""
    who = await staff_with_role(request, DELIVERY_ROLES)
    raw_status = request.query.get("status", "")
    if raw_status and raw_status not in DeliveryStatus.__members__.values():
        raise web.HTTPBadRequest(text="Unknown status.")
    about = request.query.get("about", "").strip()[:deliveries.ABOUT_MAX]
    async with database(request).read() as session:
        rows = await deliveries.list_deliveries(
            session, statuses=[DeliveryStatus(raw_status)] if raw_status else [], about=about, limit=PAGE_LIMIT)
        site = await organisation.site(session, await organisation.only_site_id(session))
    zone = ZoneInfo(site.time_zone)
    return {
        "who": who, "deliveries": [deliveries.delivery_out(row) for row in rows],
        "filters": {"status": raw_status, "about": about}, "limit": PAGE_LIMIT,
        "status_labels": STATUS_LABELS, "status_badges": STATUS_BADGES, "channel_labels": CHANNEL_LABELS,
        "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""}


@routes.get("/panel/deliveries")
async def deliveries_page(request: web.Request) -> web.Response:
    return render(request, "deliveries.html", await _deliveries(request))


@routes.get("/panel/deliveries/table")
async def deliveries_table(request: web.Request) -> web.Response:
    """The table alone, fetched by the page's script when the live channel tells of a delivery's news."""
    return render(request, "_deliveries_table.html", await _deliveries(request))
