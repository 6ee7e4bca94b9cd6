"""The payment pages in Chromium: a request made with the form (its "Add a line" in script), paid at the kiosk,
followed and refunded; the administration of taxes and fees; the visitor's digital copy on a phone; the board's
alert when a kiosk cannot print. Every page is scanned by axe-core and photographed."""
from __future__ import annotations

import re

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from backend.receipts.models import ReceiptRecord
from backend.staff.models import StaffMember
from backend.staff.service import _hasher
from tests.backend.conftest import PASSWORD
from tests.panel.test_panel_browser import page, serious_violations, shot  # noqa: F401  (the browser fixture)
from tests.panel.test_payments_panel import pay_at_the_kiosk
from tests.payments.conftest import Till


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


async def sign_in(till: Till, page, login: str) -> str:  # noqa: F811
    """Signs in through the form, in English; returns the server's base URL."""
    if login != "reception":
        async with till.database.write() as session:
            (await session.get(StaffMember, till.world.staff_ids[login])).password_hash = _hasher.hash(PASSWORD)
    base = str(till.client.make_url("")).rstrip("/")
    await page.context.add_cookies([{"name": "accueil_lang", "value": "en", "url": base}])
    await page.goto(f"{base}/panel/sign-in")
    await page.get_by_label("Login").fill(login)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("link", name="Payments")).to_be_visible()
    return base


async def test_a_payment_from_the_form_to_the_refund_in_chromium(till: Till, page):  # noqa: F811
    base = await sign_in(till, page, "admin")
    await page.get_by_role("link", name="Payments").click()
    await expect(page.get_by_role("heading", name="Payments", exact=True)).to_be_visible()
    await page.get_by_role("link", name="Ask a visitor to pay").click()

    await page.get_by_label("Or the payer’s name").fill("Hélène Côté")
    lines = page.locator("#lines tr")
    await expect(lines).to_have_count(3)
    await page.get_by_role("button", name="Add a line").click()
    await expect(lines).to_have_count(4)  # added by the script, without leaving the page
    assert page.url.endswith("/panel/payment-requests/new")
    rows = [("Copie de dossier médical", "2", "12,50", True), ("Frais de poste", "1", "3.75", False),
            ("", "1", "", True), ("Timbre", "3", "1,00", True)]
    for i, (description, quantity, price, taxable) in enumerate(rows):
        await page.locator(f'[name="lines-{i}-description"]').fill(description)
        await page.locator(f'[name="lines-{i}-quantity"]').fill(quantity)
        await page.locator(f'[name="lines-{i}-unit_price"]').fill(price)
        await page.locator(f'[name="lines-{i}-taxable"]').set_checked(taxable)
    await expect(page.get_by_role("textbox", name="Description 4")).to_have_value("Timbre")  # the copied row has its own labels
    assert await serious_violations(page) == []
    await shot(page, "pay-03-new-request")
    await page.get_by_role("button", name="Create the payment request").click()

    code = page.locator("#pay-code")
    await expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    # 28,00 $ taxable (TPS 1,40 $, TVQ 2,79 $) + 3,75 $: 35,94 $.
    await expect(page.locator(".pay-total")).to_contain_text("35,94")
    assert await serious_violations(page) == []
    await shot(page, "pay-04-code")
    payment = await pay_at_the_kiosk(till, await code.inner_text())

    await page.get_by_role("link", name="Back to the payments").click()
    row = page.locator(f'[data-payment="{payment["id"]}"]')
    await expect(row).to_contain_text("Paid")
    await expect(page.locator("#day-totals tbody tr")).to_contain_text("35,94")
    assert await serious_violations(page) == []
    await shot(page, "pay-01-list")

    await row.get_by_role("link", name="Hélène Côté").click()
    await expect(page.locator("#receipt-number")).to_have_text(payment["receipt_number"])
    await page.get_by_label("Amount").fill("3,75")
    await page.get_by_label("Reason (the visitor may be told)").fill("Pas d’envoi postal")
    await page.get_by_role("button", name="Refund", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("The refund is done.")
    await expect(page.locator("#refunds")).to_contain_text("Pas d’envoi postal")
    await expect(page.get_by_label("Amount")).to_have_value("32,19")
    assert await serious_violations(page) == []
    await shot(page, "pay-02-detail")

    await page.goto(f"{base}/panel/admin/payments")
    await expect(page.get_by_role("heading", name="Taxes and fees")).to_be_visible()
    new_tax = page.get_by_role("form", name="New tax")
    await new_tax.get_by_label("Name (on receipts)").fill("TVH")
    await new_tax.get_by_label("Rate (%)").fill("abc")
    await new_tax.get_by_role("button", name="Add the tax").click()
    await expect(page.locator("#tax-new-rate-error")).to_be_visible()
    assert await serious_violations(page) == []
    await shot(page, "pay-05-admin")

    async with till.database.read() as session:
        token = (await session.scalar(select(ReceiptRecord).where(ReceiptRecord.payment_id == payment["id"]))).token
    await page.context.clear_cookies()
    await page.goto(f"{base}/r/{token}")
    await expect(page.get_by_text("Hélène Côté")).to_be_visible()
    await expect(page.locator(".receipt-totals .refunded")).to_contain_text("3,75")
    assert await serious_violations(page) == []
    await shot(page, "pay-06-receipt")
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(page.get_by_role("link", name=re.compile("PDF"))).to_have_count(2)
    await shot(page, "pay-07-receipt-phone")


async def test_the_board_alerts_the_front_desk_when_a_kiosk_cannot_print(till: Till, page):  # noqa: F811
    base = await sign_in(till, page, "reception")
    await page.goto(f"{base}/panel/")
    await expect(page.locator("#live-status")).to_have_text("Live")
    made = await till.request(("Copie de dossier", 1, 1500))
    payment = await till.start(made["id"])
    await till.tap(payment["id"])
    toast = page.locator(".toast")
    await expect(toast).to_contain_text("Payment received")  # the live channel's payment.updated
    number = (await till.payment(payment["id"]))["receipt_number"]

    failed = await till.client.post(f"/api/kiosk/payments/{payment['id']}/print-outcome",
                                    json={"printed": False, "problem": "paper_out"}, headers=till.auth("kiosk_a"))
    assert failed.status == 204
    banner = page.get_by_role("alert")
    await expect(banner).to_contain_text(f"The kiosk kiosk_a could not print receipt {number}: out of paper.")
    await expect(toast).to_have_count(1)  # one note per payment, whatever else the channel says of it
    assert await serious_violations(page) == []
    await shot(page, "pay-08-board-alert")
    await banner.get_by_role("link", name="Open the payment").click()
    await expect(page.locator("#receipt-number")).to_have_text(number)
    await expect(page.get_by_text("The kiosk could not print it.")).to_be_visible()
