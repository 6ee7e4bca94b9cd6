"""The receipt's PDF, as staff download it: French text intact, and a QR code that leads to the digital copy,
which serves that very receipt to whoever holds the link — and to nobody guessing."""
from __future__ import annotations

import io

import yarl
from pypdf import PdfReader

from tests.payments.conftest import Till
from tests.receipts.test_receipt_pdf import _qr_codes


async def test_the_pdf_qr_code_leads_to_the_receipt_it_is_printed_on(till: Till):
    request = await till.request(("Copie de dossier médical", 2, 1500), ("Formulaire d’assurance", 1, 2500))
    payment = await till.start(request["id"])
    await till.tap(payment["id"])
    paid = await till.payment(payment["id"])
    for paper in ("roll", "a4", "letter"):
        response = await till.client.get(f"/api/payments/{payment['id']}/receipt.pdf?paper={paper}",
                                         headers=till.auth("reception"))
        assert response.status == 200 and response.content_type == "application/pdf"
        reader = PdfReader(io.BytesIO(await response.read()))
        text = "\n".join(page.extract_text() for page in reader.pages)
        for expected in ("Reçu", "Hélène Côté", "Copie de dossier médical", "Formulaire d’assurance", "TVQ",
                         paid["receipt_number"], "Sous-total"):
            assert expected in text, (paper, expected)
        assert _qr_codes(reader) == [paid["receipt_url"]]
    copy = await till.client.get(yarl.URL(paid["receipt_url"]).path)
    page = await copy.text()
    assert copy.status == 200 and paid["receipt_number"] in page and "Hélène Côté" in page
    assert "Visa" in page and "4242" in page
    pdf = await till.client.get(yarl.URL(paid["receipt_url"]).path + ".pdf?paper=roll")
    assert pdf.status == 200 and pdf.content_type == "application/pdf"


async def test_a_guessed_receipt_address_finds_nothing(till: Till):
    for token in ("R-000001", "a" * 32, "x"):
        response = await till.client.get(f"/r/{token}")
        assert response.status == 404


async def test_a_refund_shows_on_the_digital_copy(till: Till):
    request = await till.request(("Consultation", 1, 10000))
    payment = await till.start(request["id"])
    await till.tap(payment["id"])
    await till.client.post(f"/api/payments/{payment['id']}/refunds", json={"amount": 2500, "reason": "Geste"},
                           headers=till.auth("reception"))
    receipt = await (await till.client.get(f"/api/kiosk/payments/{payment['id']}/receipt",
                                           headers=till.auth("kiosk_a"))).json()
    assert receipt["refunded"] == 2500 and receipt["total"] == 10000 + 500 + 998
    page = await (await till.client.get(yarl.URL(receipt["url"]).path)).text()
    assert "Remboursé" in page
