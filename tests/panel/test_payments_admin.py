"""Administration of what visitors pay, in the panel over real HTTP: taxes and fees (the kiosk offers a new fee at
once) and each kiosk's card reader; every change audited, every mistake said beside its field."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.kiosks.models import KioskDevice
from backend.payments.models import Fee, SiteTax
from tests.panel.test_payments_panel import actions, sign_in
from tests.payments.conftest import Till


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


async def test_an_admin_adds_a_tax_and_a_fee_which_the_kiosk_then_offers(till: Till):
    csrf = await sign_in(till, "admin")
    page = "/panel/admin/payments"
    wrong = await till.client.post(page + "/taxes", data={"csrf_token": csrf, "name": "TPS", "rate": "120",
                                                          "registration": "", "position": "x"})
    html = await wrong.text()
    assert wrong.status == 422
    assert 'id="tax-new-name-error">Another tax already has this name.' in html
    assert 'id="tax-new-rate-error">A rate above 0 and at most 100 %, like 9,975.' in html
    assert 'id="tax-new-position-error">A whole number from 0 to 999.' in html and 'value="120"' in html

    added = await till.client.post(page + "/taxes", data={"csrf_token": csrf, "name": "Taxe d’hébergement",
                                                          "rate": "3,5", "registration": "TH-1", "position": "3"},
                                   allow_redirects=False)
    assert added.status == 303 and added.headers["Location"] == page + "?done=tax-saved"
    async with till.database.read() as session:
        tax = await session.scalar(select(SiteTax).where(SiteTax.name == "Taxe d’hébergement"))
    assert tax.rate_ppm == 35_000 and tax.registration == "TH-1"
    assert 'value="3,5"' in await (await till.client.get(page)).text()

    fee = await till.client.post(page + "/fees", data={"csrf_token": csrf, "name_fr": "Carte d’accès",
                                                       "name_en": "Access card", "unit_price": "7,25",
                                                       "max_quantity": "2"}, allow_redirects=False)
    assert fee.status == 303
    config = await (await till.client.get("/api/kiosk/config", headers=till.auth("kiosk_a"))).json()
    [offered] = [f for f in config["payments"]["fees"] if f["name"]["en"] == "Access card"]
    assert offered == {"id": offered["id"], "name": {"fr": "Carte d’accès", "en": "Access card"}, "unit_amount": 725,
                       "taxable": False, "max_quantity": 2}

    # Unticking "offered" takes it off the kiosk; a bad price is refused beside its field.
    bad = await till.client.post(f"{page}/fees/{offered['id']}", data={
        "csrf_token": csrf, "name_fr": "Carte d’accès", "name_en": "Access card", "unit_price": "gratuit",
        "max_quantity": "2"})
    assert bad.status == 422 and f'id="fee-{offered["id"]}-unit_price-error">Type an amount' in await bad.text()
    off = await till.client.post(f"{page}/fees/{offered['id']}", data={
        "csrf_token": csrf, "name_fr": "Carte d’accès", "name_en": "Access card", "unit_price": "7,25",
        "max_quantity": "2", "taxable": "on"}, allow_redirects=False)
    assert off.status == 303
    config = await (await till.client.get("/api/kiosk/config", headers=till.auth("kiosk_a"))).json()
    assert [f["name"]["en"] for f in config["payments"]["fees"]] == ["Copy of a record"]
    async with till.database.read() as session:
        assert (await session.get(Fee, offered["id"])).taxable is True

    removed = await till.client.post(f"{page}/taxes/{tax.id}/remove", data={"csrf_token": csrf, "confirm": "yes"},
                                     allow_redirects=False)
    assert removed.status == 303
    audited = await actions(till)
    for action, object_id in (("site_tax.created", tax.id), ("fee.created", offered["id"]),
                              ("fee.deactivated", offered["id"]), ("site_tax.removed", tax.id)):
        assert (action, str(object_id)) in audited


async def test_an_admin_sets_each_kiosks_card_reader(till: Till):
    csrf = await sign_in(till, "admin")
    kiosk_id = till.world.kiosk_ids["kiosk_b"]
    url = f"/panel/admin/kiosks/{kiosk_id}/card-reader"
    wrong = await till.client.post(url, data={"csrf_token": csrf, "stripe_reader_id": "reader 1"})
    assert wrong.status == 422 and f'id="reader-error-{kiosk_id}">A Stripe reader id looks like' in await wrong.text()
    saved = await till.client.post(url, data={"csrf_token": csrf, "stripe_reader_id": " tmr_FDOt2wlRZEdpd7 "},
                                   allow_redirects=False)
    assert saved.status == 303
    config = await (await till.client.get("/api/kiosk/config", headers=till.auth("kiosk_b"))).json()
    assert config["payments"]["card"] is True
    assert 'value="tmr_FDOt2wlRZEdpd7"' in await (await till.client.get("/panel/admin/kiosks")).text()
    cleared = await till.client.post(url, data={"csrf_token": csrf, "stripe_reader_id": ""}, allow_redirects=False)
    assert cleared.status == 303
    async with till.database.read() as session:
        assert (await session.get(KioskDevice, kiosk_id)).stripe_reader_id is None
    assert [a for a in await actions(till) if a[0] == "kiosk.card_reader_set"] == [
        ("kiosk.card_reader_set", str(kiosk_id))] * 2
