"""A receipt by email: a short message in the receipt's language with the A4 PDF attached."""
from __future__ import annotations

from email.message import EmailMessage

from backend.core import mail
from backend.core.mail import valid_address
from backend.receipts.pdf import receipt_pdf
from backend.settings import Settings
from shared.i18n import translate
from shared.receipt import Receipt

__all__ = ["send_receipt", "valid_address"]


async def send_receipt(settings: Settings, receipt: Receipt, address: str) -> None:
    def t(text: str) -> str:
        return translate(receipt.language, text)

    message = EmailMessage()
    message["To"] = address
    message["Subject"] = t("Your receipt {number} — {site}").format(number=receipt.number, site=receipt.site_name)
    message.set_content("\n".join([
        t("Thank you for your payment."),
        t("Your receipt is attached; you can also see it at:"),
        receipt.url,
        "",
        receipt.site_name,
        receipt.site_address,
        receipt.site_phone,
    ]))
    message.add_attachment(receipt_pdf(receipt, "a4"), maintype="application", subtype="pdf",
                           filename=f"{receipt.number}.pdf")
    await mail.send(settings, message)
