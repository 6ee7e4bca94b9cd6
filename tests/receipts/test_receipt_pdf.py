"""The receipt's PDF: read back with pypdf (text, metadata, page size) and its QR code decoded with zxing-cpp."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from pypdf import PdfReader

from backend.receipts.pdf import receipt_pdf
from shared.receipt import Receipt
from tests.receipts.conftest import URL, make_receipt

MM = 72 / 25.4  # points per millimetre


def _read(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Babel's amounts hold no-break spaces ("57,49 $") and long lines wrap: compare words as a reader sees them.
    return reader, " ".join(text.split())


def _qr_codes(reader: PdfReader) -> list[str]:
    found = []
    for page in reader.pages:
        for image in page.images:
            found += [code.text for code in zxingcpp.read_barcodes(image.image)
                      if code.format == zxingcpp.BarcodeFormat.QRCode]
    return found


@pytest.mark.parametrize("paper", ["roll", "a4", "letter"])
def test_a_french_receipt_pdf(paper: str, receipt: Receipt):
    data = receipt_pdf(receipt, paper)
    assert data.startswith(b"%PDF-")
    reader, text = _read(data)
    for expected in ("Reçu", "N° R-2026-000123", "Hélène Côté", "Commissaire à l’assermentation", "Sous-total",
                     "50,00 $", "TPS 5 %", "2,50 $", "TVQ 9,975 %", "4,99 $", "N° d’inscription 1234567890 TQ0001",
                     "57,49 $", "Payé par Visa •••• 4242", "Balayez pour obtenir votre copie numérique",
                     "5700, chemin de la Côte-des-Neiges", "Montréal (Québec) H3T 2A8"):
        assert expected in text, expected
    # 17:30 UTC on 15 January is 12:30 in Toronto (EST, UTC-5).
    assert "15 janvier 2026, 12 h 30" in text
    assert "17 h 30" not in text
    assert reader.metadata.title == "Reçu R-2026-000123 – Centre de services Côte-des-Neiges"
    assert _qr_codes(reader) == [URL]


def test_page_sizes():
    receipt = make_receipt()
    roll = PdfReader(io.BytesIO(receipt_pdf(receipt, "roll"))).pages
    a4 = PdfReader(io.BytesIO(receipt_pdf(receipt, "a4"))).pages
    letter = PdfReader(io.BytesIO(receipt_pdf(receipt, "letter"))).pages
    assert len(roll) == 1 and float(roll[0].mediabox.width) == pytest.approx(80 * MM, abs=0.1)
    assert float(a4[0].mediabox.width) == pytest.approx(595.28, abs=0.1)
    assert float(a4[0].mediabox.height) == pytest.approx(841.89, abs=0.1)
    assert float(letter[0].mediabox.width) == pytest.approx(612, abs=0.1)
    assert float(letter[0].mediabox.height) == pytest.approx(792, abs=0.1)


def test_the_roll_is_as_long_as_its_receipt():
    def height(lines: int) -> float:
        many = [{"description": f"Photocopie {n}", "quantity": 1, "unit_amount": 50, "amount": 50}
                for n in range(lines)]
        data = receipt_pdf(make_receipt(lines=many, subtotal=50 * lines), "roll")
        reader, text = _read(data)
        assert len(reader.pages) == 1 and f"Photocopie {lines - 1}" in text  # nothing cut off
        return float(reader.pages[0].mediabox.height) / MM

    short, long = height(2), height(40)
    assert 100 < short < 220  # millimetres: header, two lines, totals, QR code
    assert long - short > 38 * 3  # at least 3 mm per extra line


def test_a_long_receipt_flows_onto_a_second_a4_page_with_its_qr_code():
    many = [{"description": f"Photocopie {n}", "quantity": 1, "unit_amount": 50, "amount": 50} for n in range(60)]
    reader, text = _read(receipt_pdf(make_receipt(lines=many, subtotal=3000), "a4"))
    assert len(reader.pages) >= 2
    assert "Photocopie 59" in text and "Total" in text
    assert _qr_codes(reader) == [URL]


def test_an_english_receipt_pdf():
    receipt = make_receipt(language="en", locale="en_CA", refunded=1500,
                           issued_at="2026-07-15T17:30:00Z")  # summer: EDT, UTC-4
    reader, text = _read(receipt_pdf(receipt, "letter"))
    for expected in ("Receipt", "No. R-2026-000123", "Customer: Hélène Côté", "Subtotal", "$50.00", "TPS 5%",
                     "TVQ 9.975%", "Reg. no. 123456789 RT0001", "Total", "$57.49", "Paid by Visa •••• 4242",
                     "Refunded", "$15.00", "Scan for your digital copy", "Qty", "Unit price", "Amount"):
        assert expected in text, expected
    assert "July 15, 2026, 1:30 p.m." in text
    assert reader.metadata.title.startswith("Receipt R-2026-000123")


def test_an_unknown_paper_is_refused(receipt: Receipt):
    with pytest.raises(ValueError, match="unknown paper 'a5'"):
        receipt_pdf(receipt, "a5")  # type: ignore[arg-type]
