"""A receipt as a PDF (fpdf2): a roll the width of a thermal receipt, or an A4 / Letter page."""
from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Literal

import qrcode
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from shared.receipt import Receipt, ReceiptView, present

FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FAMILY = "Atkinson Hyperlegible"
TEXT = (25, 25, 25)
MUTED = (85, 85, 85)  # secondary lines: still 7:1 contrast on white
RULE = (170, 170, 170)
HEADING_FILL = (238, 238, 238)
TOTALS_BLOCK_MM = 62  # the totals beside the QR code, its hint and a wrapped URL
PT = 25.4 / 72  # millimetres per point

Paper = Literal["roll", "a4", "letter"]


@functools.cache
def _glyphs() -> frozenset[int]:
    return frozenset(TTFont(FONTS / "AtkinsonHyperlegible-Regular.ttf").getBestCmap())


def fit_font(text: str) -> str:
    """Text the font can draw: Babel's narrow no-break spaces become no-break spaces, other gaps their base letter."""
    glyphs = _glyphs()
    out = []
    for char in text:
        if ord(char) in glyphs or char in "\n":
            out.append(char)
        elif unicodedata.category(char) == "Zs":
            out.append("\u00a0")  # keeps "57,49 $" together on one line, as Babel meant
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) in glyphs)
            out.append(base or "?")
    return "".join(out)


def qr_image(url: str) -> Image.Image:
    """The URL's QR code, 10 pixels a module with the standard 4-module quiet zone, in greyscale."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


class _Doc(FPDF):
    """FPDF with the receipt's fonts and a few layout helpers, all sizes in points, positions in millimetres."""

    def __init__(self, width: float, height: float, margin: float, page_breaks: bool) -> None:
        super().__init__(unit="mm", format=(width, height))
        self.add_font(FAMILY, "", FONTS / "AtkinsonHyperlegible-Regular.ttf")
        self.add_font(FAMILY, "B", FONTS / "AtkinsonHyperlegible-Bold.ttf")
        self.set_margins(margin, margin, margin)
        # A roll is one strip cut to fit; a page flows onto the next when there are many lines.
        self.set_auto_page_break(page_breaks, margin)
        self.c_margin = 0  # cells line up with the margins; spacing is explicit
        self.add_page()

    def style(self, size: float, bold: bool = False, muted: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*(MUTED if muted else TEXT))

    @property
    def line_h(self) -> float:
        return self.font_size_pt * PT * 1.35

    def para(self, text: str, align: str = "L", width: float = 0) -> None:
        """Wrapped text from the left margin (or the current x when a width is given)."""
        if not width:
            self.set_x(self.l_margin)
        self.multi_cell(width or self.epw, self.line_h, fit_font(text), align=align,
                        new_x=XPos.LMARGIN if not width else XPos.LEFT, new_y=YPos.NEXT)

    def row(self, label: str, amount: str, x: float | None = None, width: float | None = None) -> None:
        """Label on the left, wrapping if it must, amount flush right on the label's first line."""
        x = self.l_margin if x is None else x
        width = self.epw if width is None else width
        amount = fit_font(amount)
        amount_w = self.get_string_width(amount)
        top = self.y
        self.set_xy(x + width - amount_w, top)
        self.cell(amount_w, self.line_h, amount, align=Align.R)
        self.set_xy(x, top)
        self.multi_cell(width - amount_w - 3, self.line_h, fit_font(label), align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rule(self, x: float | None = None, width: float | None = None, gap: float = 1.5) -> None:
        x = self.l_margin if x is None else x
        width = self.epw if width is None else width
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.ln(gap)
        self.line(x, self.y, x + width, self.y)
        self.ln(gap)


def _draw_roll(doc: _Doc, view: ReceiptView, qr: Image.Image) -> float:
    """Draws the receipt as the thermal printer prints it; returns where the content ends."""
    doc.style(12, bold=True)
    doc.para(view.site_name, align="C")
    doc.style(8)
    for part in (*view.site_address_lines, view.site_phone):
        if part:
            doc.para(part, align="C")
    doc.ln(3)
    doc.style(12, bold=True)
    doc.para(view.title, align="C")
    doc.style(8.5)
    doc.para(view.number, align="C")
    doc.para(view.issued, align="C")
    if view.payer:
        doc.ln(2)
        doc.para(view.payer)
    doc.rule()
    for line in view.lines:
        doc.style(8.5)
        doc.row(line.description, line.amount)
        if line.detail:
            doc.style(7.5, muted=True)
            doc.set_x(doc.l_margin + 3)
            doc.para(line.detail, width=doc.epw - 3)
    doc.rule()
    doc.style(8.5)
    doc.row(view.subtotal.label, view.subtotal.amount)
    for tax in view.taxes:
        doc.style(8.5)
        doc.row(tax.label, tax.amount)
        if tax.note:
            doc.style(7, muted=True)
            doc.set_x(doc.l_margin + 3)
            doc.para(tax.note, width=doc.epw - 3)
    doc.ln(1)
    doc.style(11, bold=True)
    doc.row(view.total.label, view.total.amount)
    doc.ln(1.5)
    doc.style(8.5)
    doc.row(view.payment.label, view.payment.amount)
    if view.refunded:
        doc.row(view.refunded.label, view.refunded.amount)
    doc.ln(4)
    side = 34.0
    doc.image(qr, x=(doc.w - side) / 2, y=doc.y, w=side, h=side)
    doc.set_y(doc.y + side + 1)
    doc.style(8.5, bold=True)
    doc.para(view.scan_hint, align="C")
    doc.style(6.5, muted=True)
    doc.para(view.url, align="C")
    return doc.y


def _draw_page(doc: _Doc, view: ReceiptView, qr: Image.Image) -> None:
    """An invoice-like page: who and when at the top, the table of lines, totals on the right, the QR code last."""
    top = doc.y
    half = doc.epw / 2
    doc.style(16, bold=True)
    doc.para(view.site_name, width=half)
    doc.style(10, muted=True)
    for part in (*view.site_address_lines, view.site_phone):
        if part:
            doc.set_x(doc.l_margin)
            doc.para(part, width=half)
    left_end = doc.y
    doc.set_xy(doc.l_margin + half, top)
    doc.style(22, bold=True)
    doc.para(view.title, align="R", width=half)
    doc.style(10)
    for part in (view.number, view.issued):
        doc.set_x(doc.l_margin + half)
        doc.para(part, align="R", width=half)
    doc.set_y(max(left_end, doc.y) + 8)
    if view.payer:
        doc.style(11, bold=True)
        doc.para(view.payer)
        doc.ln(4)

    doc.style(10)
    doc.set_draw_color(*RULE)
    with doc.table(col_widths=(96, 18, 28, 28), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   borders_layout="HORIZONTAL_LINES", line_height=doc.line_h + 1.5, padding=(1.2, 1.5),
                   headings_style=FontFace(emphasis="BOLD", color=TEXT, fill_color=HEADING_FILL)) as table:
        heading = table.row()
        for title in view.columns:
            heading.cell(fit_font(title))
        for line in view.lines:
            cells = table.row()
            for value in (line.description, line.quantity, line.unit_amount, line.amount):
                cells.cell(fit_font(value))
    doc.rule(gap=0)  # HORIZONTAL_LINES draws none under the last row
    doc.ln(5)

    # Totals on the right, the QR code for the digital copy beside them on the left: kept on one page together.
    if doc.y + TOTALS_BLOCK_MM > doc.h - doc.b_margin:
        doc.add_page()
    top = doc.y
    x, width = doc.l_margin + doc.epw * 0.45, doc.epw * 0.55
    doc.style(10)
    doc.row(view.subtotal.label, view.subtotal.amount, x, width)
    for tax in view.taxes:
        doc.style(10)
        doc.row(tax.label, tax.amount, x, width)
        if tax.note:
            doc.style(8.5, muted=True)
            doc.set_x(x)
            doc.para(tax.note, width=width)
    doc.rule(x, width, gap=1.5)
    doc.style(13, bold=True)
    doc.row(view.total.label, view.total.amount, x, width)
    doc.ln(2)
    doc.style(10)
    doc.row(view.payment.label, view.payment.amount, x, width)
    if view.refunded:
        doc.row(view.refunded.label, view.refunded.amount, x, width)
    totals_end = doc.y

    side, column = 36.0, doc.epw * 0.45 - 10
    # The image carries its own quiet zone (4 modules): pull it left so the code's edge meets the margin.
    quiet = side * 4 / qr.width * 10
    doc.image(qr, x=doc.l_margin - quiet, y=top - quiet, w=side, h=side)
    doc.set_xy(doc.l_margin, top + side - 2 * quiet + 3)
    doc.style(10, bold=True)
    doc.para(view.scan_hint, width=column)
    doc.set_x(doc.l_margin)
    doc.style(8, muted=True)
    doc.para(view.url, width=column)
    doc.set_y(max(doc.y, totals_end))


def receipt_pdf(receipt: Receipt, paper: Paper) -> bytes:
    """The receipt as PDF bytes: "roll" is 80 mm wide (72 mm printed), as tall as its content; or a page."""
    view = present(receipt)
    qr = qr_image(receipt.url)
    if paper == "roll":
        # Measure on a sheet too tall to overflow, then draw again on one exactly that tall.
        probe = _Doc(80, 3000, margin=4, page_breaks=False)
        height = _draw_roll(probe, view, qr) + 6
        doc = _Doc(80, height, margin=4, page_breaks=False)
        _draw_roll(doc, view, qr)
    elif paper in ("a4", "letter"):
        width, height = (210.0, 297.0) if paper == "a4" else (215.9, 279.4)
        doc = _Doc(width, height, margin=20, page_breaks=True)
        _draw_page(doc, view, qr)
    else:
        raise ValueError(f"unknown paper {paper!r}: expected 'roll', 'a4' or 'letter'")
    doc.set_title(f"{view.document_title} – {view.site_name}")
    doc.set_subject(view.document_title)
    doc.set_author(view.site_name)
    doc.set_creator("Accueil")
    doc.set_lang(view.language)
    doc.set_creation_date(receipt.issued_at)  # the same receipt makes the same file
    return bytes(doc.output())

