"""Payments in the panel, over real HTTP against a backend that takes payments through the Stripe emulator: a
request made in the form and paid at the kiosk, the list and its day totals, refunds, reprints, emails, the
administration of taxes, fees and card readers, and the visitor's digital copy."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.payments.models import Payment, Refund
from backend.payments.service import check_value
from backend.receipts.models import ReceiptRecord
from backend.staff.models import StaffMember
from backend.staff.service import _hasher
from tests.backend.conftest import PASSWORD, next_event
from tests.payments.conftest import Till
from tests.panel.signing import csrf_of

@pytest.fixture
def db_kind() -> str:
    return "sqlite"  # the panel is about pages; both databases are covered by the payments' own tests


def money(text: str) -> str:
    """Babel's fr_CA amount ("32,49 $") as it appears in a page, whatever space it puts before the sign."""
    return re.escape(text).replace(r"\ ", r"[\s\u00a0\u202f]")


async def sign_in(till: Till, login: str = "reception") -> str:
    """Signs in, in English (assertions on the panel's words do not hang on the catalogs); returns a CSRF token."""
    if login != "reception":
        async with till.database.write() as session:
            (await session.get(StaffMember, till.world.staff_ids[login])).password_hash = _hasher.hash(PASSWORD)
    till.client.session.cookie_jar.clear()
    till.client.session.cookie_jar.update_cookies({"accueil_lang": "en"})
    signed = await till.client.post("/panel/sign-in", data={"login": login, "password": PASSWORD},
                                    allow_redirects=False)
    assert signed.status == 303
    return csrf_of(await (await till.client.get("/panel/payment-requests/new")).text())


async def ask_in_the_panel(till: Till, csrf: str, **fields: str) -> tuple[int, str]:
    """A payment request made with the panel's form; (its id, its page)."""
    data = {"csrf_token": csrf, "payer_name": "Hélène Côté", "visit": "", "language": "fr",
            "lines-0-description": "Copie de dossier médical", "lines-0-quantity": "2", "lines-0-unit_price": "12,50",
            "lines-0-taxable": "on",
            "lines-1-description": "Frais de poste", "lines-1-quantity": "1", "lines-1-unit_price": "3.75",
            "lines-2-description": "", "lines-2-quantity": "1", "lines-2-unit_price": "", "lines-2-taxable": "on",
            **fields}
    response = await till.client.post("/panel/payment-requests", data=data, allow_redirects=False)
    assert response.status == 303, await response.text()
    location = response.headers["Location"]
    request_id = int(location.rsplit("/", 1)[1])
    return request_id, await (await till.client.get(location)).text()


async def pay_at_the_kiosk(till: Till, code: str) -> dict:
    """The visitor types the code at kiosk_a and taps the approved test card."""
    found = await till.client.post("/api/kiosk/payment-lookups", json={"code": code}, headers=till.auth("kiosk_a"))
    assert found.status == 200, await found.text()
    request_id = (await found.json())["items"][0]["id"]
    payment = await till.start(request_id)
    await till.tap(payment["id"])
    paid = await till.payment(payment["id"])
    assert paid["state"] == "succeeded"
    return paid


async def paid_payment(till: Till, csrf: str) -> dict:
    _request_id, page = await ask_in_the_panel(till, csrf)
    return await pay_at_the_kiosk(till, re.search(r'id="pay-code">([A-Z0-9]+)<', page).group(1))


async def actions(till: Till) -> list[tuple[str, str | None]]:
    async with till.database.read() as session:
        return [(e.action, e.object_id) for e in await session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


async def test_a_request_made_in_the_panel_is_paid_at_the_kiosk_and_counted_in_the_day(till: Till):
    csrf = await sign_in(till)
    request_id, page = await ask_in_the_panel(till, csrf)
    # 2 × 12,50 taxable + 3,75 not: TPS 5 % and TVQ 9,975 % of 25,00 are 1,25 and 2,49 (2,49375 rounded).
    assert "Give this code to the visitor" in page
    assert re.search("Total: " + money("32,49 $"), page)
    code = re.search(r'id="pay-code">([A-Z0-9]{6})<', page).group(1)
    payment = await pay_at_the_kiosk(till, code)
    assert payment["amount"] == 3249

    listing = await (await till.client.get("/panel/payments")).text()
    row = re.search(rf'<tr data-payment="{payment["id"]}".*?</tr>', listing, re.S).group(0)
    assert f'href="/panel/payments/{payment["id"]}"' in row and "Hélène Côté" in row and code in row
    assert "Paid" in row and re.search(money("32,49 $"), row) and payment["receipt_number"] in row
    day = re.search(r'<table class="history money-table" id="day-totals">.*?</table>', listing, re.S).group(0)
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', day)
    assert cells[0] == "1" and re.fullmatch(money("32,49 $"), cells[1]) and re.fullmatch(money("0,00 $"), cells[2])
    assert re.fullmatch(money("32,49 $"), cells[3])

    detail = await (await till.client.get(f"/panel/payments/{payment['id']}")).text()
    assert "Visa •••• 4242" in detail and code in detail and "Copie de dossier médical" in detail
    assert re.search(r"TVQ 9,975" + "[\u00a0\u202f ]%", detail) and re.search(money("2,49 $"), detail)
    assert f'href="/api/payments/{payment["id"]}/receipt.pdf?paper=letter"' in detail
    pdf = await till.client.get(f"/api/payments/{payment['id']}/receipt.pdf?paper=a4")  # the session cookie is enough
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
    assert ("payment_request.created", str(request_id)) in await actions(till)

    # Filters: the state, the text, and a bad date said in words.
    assert payment["receipt_number"] in await (await till.client.get("/panel/payments?state=succeeded&q=hél")).text()
    assert 'data-payment=' not in await (await till.client.get("/panel/payments?state=failed")).text()
    bad = await till.client.get("/panel/payments?from=yesterday")
    assert bad.status == 422 and "Check the filters" in await bad.text()


async def test_the_request_form_says_what_is_wrong_beside_each_field_and_keeps_what_was_typed(till: Till):
    csrf = await sign_in(till)
    counts = await till.row_counts()
    response = await till.client.post("/panel/payment-requests", data={
        "csrf_token": csrf, "payer_name": "", "visit": "",
        "lines-0-description": "Photocopies", "lines-0-quantity": "0", "lines-0-unit_price": "0,105",
        "lines-1-description": "", "lines-1-quantity": "1", "lines-1-unit_price": "4,00"})
    assert response.status == 422
    html = await response.text()
    assert 'id="lines-0-quantity-error">A whole number from 1 to 1000.' in html
    assert 'id="lines-0-unit_price-error">Use at most 2 decimals.' in html
    assert 'id="lines-1-description-error">Say what this line is for.' in html
    assert 'id="payer-error">Give the payer’s name, or choose one of today’s visits.' in html
    assert 'value="0,105"' in html and 'value="Photocopies"' in html
    assert await till.row_counts() == counts

    # Without a script, "Add a line" posts the form back one row longer, keeping what was typed.
    more = await till.client.post("/panel/payment-requests", data={
        "csrf_token": csrf, "payer_name": "Zoé", "add_line": "1",
        "lines-0-description": "Photocopies", "lines-0-quantity": "30", "lines-0-unit_price": "0,10"})
    html = await more.text()
    assert more.status == 200 and 'name="lines-1-description"' in html and 'value="Zoé"' in html
    assert await till.row_counts() == counts

    # One of today's visits pays: its visitor's name is the payer's.
    visit = await (await till.check_in(visitor_name="Zoé Lévesque")).json()
    page = await (await till.client.get("/panel/payment-requests/new")).text()
    assert f'<option value="{visit["id"]}"' in page and "Zoé Lévesque" in page
    _id, made = await ask_in_the_panel(till, csrf, payer_name="", visit=str(visit["id"]))
    assert "For Zoé Lévesque" in made


async def test_refunds_in_part_then_in_full_and_never_more_than_was_paid(till: Till):
    csrf = await sign_in(till)
    payment = await paid_payment(till, csrf)
    detail = f"/panel/payments/{payment['id']}"
    page = await (await till.client.get(detail)).text()
    assert 'name="amount" inputmode="decimal" required value="32,49"' in page

    refused = await till.client.post(detail + "/refund", data={"csrf_token": csrf, "amount": "12,5", "reason": ""})
    assert refused.status == 422 and "Say why, in a few words." in await refused.text()
    done = await till.client.post(detail + "/refund", data={"csrf_token": csrf, "amount": "12,50",
                                                            "reason": "Une copie en trop"}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == detail + "?done=refunded"
    page = await (await till.client.get(done.headers["Location"])).text()
    assert "The refund is done." in page and "Une copie en trop" in page and "Reception" in page
    assert re.search(money("19,99 $") + " remains to refund", page)

    too_much = await till.client.post(detail + "/refund", data={"csrf_token": csrf, "amount": "20.00",
                                                                "reason": "Tout rembourser"})
    html = await too_much.text()
    assert too_much.status == 422
    assert re.search(r'id="refund-amount-error">At most ' + money("19,99 $") + " remains to refund.", html)
    assert 'value="20.00"' in html and 'value="Tout rembourser"' in html

    rest = await till.client.post(detail + "/refund", data={"csrf_token": csrf, "amount": "19,99",
                                                            "reason": "Visite annulée"}, allow_redirects=False)
    assert rest.status == 303
    page = await (await till.client.get(detail)).text()
    assert 'id="fully-refunded"' in page and 'action="' + detail + '/refund"' not in page
    async with till.database.read() as session:
        refunds = list(await session.scalars(select(Refund).order_by(Refund.id)))
    assert [(r.amount, r.state, r.by_staff_id) for r in refunds] == [
        (1250, "succeeded", till.world.staff_ids["reception"]), (1999, "succeeded", till.world.staff_ids["reception"])]
    day = re.search(r'id="day-totals">.*?</table>', await (await till.client.get("/panel/payments")).text(), re.S)[0]
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', day)
    assert re.fullmatch(money("32,49 $"), cells[2]) and re.fullmatch(money("0,00 $"), cells[3])


async def test_department_staff_follow_payments_but_only_the_front_desk_refunds(till: Till):
    payment = await paid_payment(till, await sign_in(till))
    csrf = await sign_in(till, "billing")
    page = await (await till.client.get(f"/panel/payments/{payment['id']}")).text()
    assert payment["receipt_number"] in page and "/refund" not in page and "/reprint" not in page
    refused = await till.client.post(f"/panel/payments/{payment['id']}/refund",
                                     data={"csrf_token": csrf, "amount": "1", "reason": "Essai"})
    assert refused.status == 403
    assert '<a href="/panel/payments">Payments</a>' in page
    await sign_in(till, "clerk")
    assert (await till.client.get("/panel/payments")).status == 403


async def test_reprint_sends_the_receipt_to_the_kiosk_that_took_the_payment(till: Till):
    csrf = await sign_in(till)
    payment = await paid_payment(till, csrf)
    kiosk = await till.live("kiosk_a")
    response = await till.client.post(f"/panel/payments/{payment['id']}/reprint", data={"csrf_token": csrf},
                                      allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].endswith("?done=reprinted")
    event = await next_event(kiosk, timeout=2)
    assert event["type"] == "receipt.reprint" and event["payment_id"] == payment["id"]
    assert event["receipt"]["number"] == payment["receipt_number"] and event["receipt"]["payer_name"] == "Hélène Côté"
    assert ("receipt.reprint", payment["receipt_number"]) in await actions(till)


@pytest.fixture
def till_overrides(mailbox) -> dict:
    return {"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_starttls": False,
            "mail_from": "accueil@clinique.example"}


async def test_the_receipt_is_emailed_with_its_pdf(till: Till, mailbox):
    csrf = await sign_in(till)
    payment = await paid_payment(till, csrf)
    detail = f"/panel/payments/{payment['id']}"
    wrong = await till.client.post(detail + "/email", data={"csrf_token": csrf, "email": "helene@"})
    assert wrong.status == 422 and 'id="email-error">This email address is not valid.' in await wrong.text()
    assert mailbox.messages == []

    sent = await till.client.post(detail + "/email", data={"csrf_token": csrf, "email": " helene@example.org "},
                                  allow_redirects=False)
    assert sent.status == 303 and sent.headers["Location"].endswith("?done=emailed")
    [message] = mailbox.messages
    assert message["To"] == "helene@example.org" and payment["receipt_number"] in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{payment['receipt_number']}.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    page = await (await till.client.get(sent.headers["Location"])).text()
    assert "Last sent by email to helene@example.org." in page
    assert ("receipt.emailed", payment["receipt_number"]) in await actions(till)


async def test_the_digital_copy_is_a_public_page_with_its_pdfs(till: Till):
    payment = await paid_payment(till, await sign_in(till))
    async with till.database.read() as session:
        token = (await session.scalar(select(ReceiptRecord).where(ReceiptRecord.payment_id == payment["id"]))).token
    till.client.session.cookie_jar.clear()  # a visitor's phone: nobody signed in
    response = await till.client.get(f"/r/{token}")
    html = await response.text()
    assert response.status == 200 and '<html lang="fr">' in html
    assert "Hélène Côté" in html and "Copie de dossier médical" in html and "Clinique Test" in html
    assert re.search(money("32,49 $"), html) and "4242" in html and payment["receipt_number"] in html
    assert "/panel/sign-out" not in html and "panel.js" not in html and "/panel/payments" not in html
    for paper in ("a4", "roll"):
        assert f'href="/r/{token}.pdf?paper={paper}"' in html
        pdf = await till.client.get(f"/r/{token}.pdf?paper={paper}")
        assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")


async def test_a_declined_attempt_says_why_and_has_nothing_to_refund(till: Till):
    csrf = await sign_in(till)
    made = await till.request(("Copie", 1, 500))
    payment = await till.start(made["id"])
    await till.tap(payment["id"], "insufficient_funds")
    page = await (await till.client.get(f"/panel/payments/{payment['id']}")).text()
    assert "Failed — Insufficient funds" in page and "No receipt: this payment did not go through." in page
    assert "/refund" not in page and "/email" not in page
    refused = await till.client.post(f"/panel/payments/{payment['id']}/refund",
                                     data={"csrf_token": csrf, "amount": "1", "reason": "Essai"})
    assert refused.status == 409 and "Only a payment that went through can be refunded." in await refused.text()


async def test_without_payments_the_panel_says_so_and_hides_them(backend):
    backend.client.session.cookie_jar.update_cookies({"accueil_lang": "en"})
    await backend.client.post("/panel/sign-in", data={"login": "reception", "password": PASSWORD})
    response = await backend.client.get("/panel/payments")
    html = await response.text()
    assert response.status == 409 and "This site takes no payments" in html
    assert 'href="/panel/payments"' not in html


async def test_a_phone_payment_not_yet_confirmed_shows_the_pending_page(till: Till):
    made = await till.request(("Copie", 1, 500))
    payment = await till.start(made["id"], "phone")
    async with till.database.read() as session:
        stored = await session.get(Payment, payment["id"])
    response = await till.client.get(f"/pay/complete?session_id={stored.checkout_session_id}"
                                     f"&check={check_value(stored)}", headers={"Accept-Language": "en"})
    html = await response.text()
    assert response.status == 202 and "Your payment is being confirmed" in html
    assert '<meta http-equiv="refresh" content="5">' in html and "/panel/" not in html.replace("/panel/static/", "")
