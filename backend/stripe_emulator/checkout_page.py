"""The page a Checkout Session's `url` opens (on a phone, from a QR code): the lines, the total, a card field.

Small, self-contained (no external resources), readable on a phone, in French or English: the session's
`locale`, else the browser's Accept-Language, else French.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape

from aiohttp import web

from backend.stripe_emulator import cards, checkout
from backend.stripe_emulator.cards import Decline
from backend.stripe_emulator.money import format_amount
from backend.stripe_emulator.routes import emulator_of
from backend.stripe_emulator.state import StripeObject

logger = logging.getLogger(__name__)

TEXT = {
    "fr": {"title": "Paiement", "test": "Page de test de l’émulateur Stripe\u00a0: aucune carte réelle n’est débitée.",
           "item": "Article", "qty": "Qté", "amount": "Montant", "total": "Total", "card": "Numéro de carte",
           "pay": "Payer {amount}", "cancel": "Annuler", "paid": "Paiement accepté",
           "paid_text": "Merci\u202f! Votre paiement de {amount} a été accepté.", "continue": "Continuer",
           "expired": "Cette session de paiement a expiré. Demandez un nouveau code à l’accueil.",
           "missing": "Session de paiement introuvable."},
    "en": {"title": "Payment", "test": "Stripe emulator test page: no real card is charged.",
           "item": "Item", "qty": "Qty", "amount": "Amount", "total": "Total", "card": "Card number",
           "pay": "Pay {amount}", "cancel": "Cancel", "paid": "Payment accepted",
           "paid_text": "Thank you! Your payment of {amount} was accepted.", "continue": "Continue",
           "expired": "This payment session has expired. Ask the front desk for a new code.",
           "missing": "Payment session not found."},
}
# Stripe Checkout shows declines in the page's language; English ones are `Decline.message`.
DECLINES_FR = {
    "card_declined": "Votre carte a été refusée.",
    "insufficient_funds": "Votre carte ne dispose pas de fonds suffisants.",
    "expired_card": "Votre carte a expiré.",
    "incorrect_cvc": "Le code de sécurité de votre carte est incorrect.",
    "processing_error": "Une erreur s’est produite lors du traitement de votre carte. Réessayez dans un instant.",
    "incorrect_number": "Votre numéro de carte est incorrect.",
}
STYLE = """
body{margin:0;font:1.05rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f4f4f6}
main{max-width:28rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
.test{font-size:.9rem;background:#fff3cd;color:#4d3800;padding:.5rem .75rem;border-radius:.4rem}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:.4rem;margin:1rem 0}
th,td{padding:.5rem .6rem;text-align:left;border-bottom:1px solid #ddd}
td.n,th.n{text-align:right;white-space:nowrap}
tfoot th,tfoot td{font-weight:700;border-bottom:0}
label{display:block;font-weight:600;margin:1rem 0 .3rem}
input{box-sizing:border-box;width:100%;font-size:1.2rem;padding:.7rem;border:2px solid #555;border-radius:.4rem}
input:focus,button:focus,a:focus{outline:3px solid #1d4ed8;outline-offset:2px}
button{width:100%;margin-top:1rem;padding:.9rem;font-size:1.15rem;font-weight:700;color:#fff;
background:#1d4ed8;border:0;border-radius:.4rem;cursor:pointer}
.error{color:#a00000;font-weight:600;margin:.5rem 0 0}
.done{font-size:1.2rem;background:#e6f4ea;color:#0f5223;padding:1rem;border-radius:.4rem}
.gone{font-size:1.1rem;background:#fdecea;color:#7a1a10;padding:1rem;border-radius:.4rem}
a{color:#1d4ed8}
"""


def add_routes(app: web.Application) -> None:
    app.router.add_get("/pay/{session_id}", _show)
    app.router.add_post("/pay/{session_id}", _pay)


def _language(request: web.Request, session: StripeObject | None) -> str:
    wanted = (session or {}).get("locale") or "auto"
    if wanted == "auto":
        wanted = request.headers.get("Accept-Language", "fr")
    return "en" if wanted.lower().startswith("en") else "fr"


async def _show(request: web.Request) -> web.Response:
    session = _find(request)
    return _page(request, session, status=200 if session else 404)


async def _pay(request: web.Request) -> web.Response:
    session = _find(request)
    if session is None or session["status"] != "open":
        return _page(request, session, status=404 if session is None else 409)
    form = await request.post()
    card = cards.lookup(str(form.get("card_number", "")) or None)
    decline = checkout.pay(emulator_of(request).state, session, card)
    if decline is not None:
        logger.info("pay page %s: card …%s declined (%s)", session["id"], card.last4, decline.code)
        return _page(request, session, status=402, decline=decline, typed=str(form.get("card_number", "")))
    logger.info("pay page %s: paid with card …%s", session["id"], card.last4)
    raise web.HTTPSeeOther(request.path)  # back to the page, which now says it is paid


def _find(request: web.Request) -> StripeObject | None:
    obj = emulator_of(request).state.objects.get(request.match_info["session_id"])
    return obj if obj is not None and obj["object"] == "checkout.session" else None


def _page(request: web.Request, session: StripeObject | None, *, status: int, decline: Decline | None = None,
          typed: str = "4242 4242 4242 4242") -> web.Response:
    language = _language(request, session)
    text = TEXT[language]
    locale = "fr_FR" if language == "fr" else "en_US"
    body = [f"<h1>{text['title']}</h1>", f"<p class=\"test\">{text['test']}</p>"]
    if session is None:
        body.append(f"<p class=\"gone\" role=\"status\">{text['missing']}</p>")
    else:
        currency = session["currency"]

        def money(amount: int) -> str:
            return escape(format_amount(amount, currency, locale))

        body.append(_lines(session, text, money))
        total = money(session["amount_total"])
        if session["status"] == "complete":
            body.append(f"<p class=\"done\" role=\"status\"><strong>{text['paid']}</strong><br>"
                        f"{text['paid_text'].format(amount=total)}</p>")
            if session["success_url"]:
                url = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                body.append(f"<p><a href=\"{escape(url)}\">{text['continue']}</a></p>")
        elif session["status"] == "expired":
            body.append(f"<p class=\"gone\" role=\"status\">{text['expired']}</p>")
        else:
            body.append(_form(session, text, total, decline, typed, language))
    html = (f"<!doctype html><html lang=\"{language}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{text['title']}</title><style>{STYLE}</style></head><body><main>{''.join(body)}</main>"
            "</body></html>")
    return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")


def _lines(session: StripeObject, text: dict[str, str], money: Callable[[int], str]) -> str:
    rows = "".join(f"<tr><td>{escape(item['description'])}</td><td class=\"n\">{item['quantity']}</td>"
                   f"<td class=\"n\">{money(item['amount_total'])}</td></tr>" for item in checkout.line_items(session))
    return (f"<table><thead><tr><th scope=\"col\">{text['item']}</th><th scope=\"col\" class=\"n\">{text['qty']}"
            f"</th><th scope=\"col\" class=\"n\">{text['amount']}</th></tr></thead><tbody>{rows}</tbody>"
            f"<tfoot><tr><th scope=\"row\" colspan=\"2\">{text['total']}</th>"
            f"<td class=\"n\">{money(session['amount_total'])}</td></tr></tfoot></table>")


def _form(session: StripeObject, text: dict[str, str], total: str, decline: Decline | None, typed: str,
          language: str) -> str:
    error = ""
    invalid = ""
    if decline is not None:
        message = decline.message if language == "en" else DECLINES_FR.get(
            decline.decline_code or "", DECLINES_FR.get(decline.code, DECLINES_FR["card_declined"]))
        error = f"<p id=\"card-error\" class=\"error\" role=\"alert\">{escape(message)}</p>"
        invalid = " aria-invalid=\"true\" aria-describedby=\"card-error\""
    cancel = (f"<p><a href=\"{escape(session['cancel_url'])}\">{text['cancel']}</a></p>"
              if session["cancel_url"] else "")
    return (f"<form method=\"post\"><label for=\"card\">{text['card']}</label>"
            f"<input id=\"card\" name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" required "
            f"value=\"{escape(typed)}\"{invalid}>{error}"
            f"<button type=\"submit\">{text['pay'].format(amount=total)}</button></form>{cancel}")
