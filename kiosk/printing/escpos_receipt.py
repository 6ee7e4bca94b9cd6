"""A receipt as the ESC/POS bytes a thermal printer prints, laid out for the printer profile's paper width."""
from __future__ import annotations

import textwrap
from typing import Any

from kiosk.printing._library import escpos
from kiosk.printing.codepage import can_print, choose_code_page, printable
from shared.receipt import Receipt, ReceiptView, Row, present


class _Ticket:
    """python-escpos's Dummy printer with one code page pinned: commands and text accumulate into bytes."""

    def __init__(self, profile: Any) -> None:
        lib = escpos()
        self.printer = lib["printer"].Dummy()
        # Dummy(profile=...) only takes a profile's name; a printer object carries the profile itself.
        self.printer.profile = profile
        self.printer.magic = lib["magicencode"].MagicEncode(self.printer)
        self.code_page = choose_code_page(profile.get_code_pages())
        self.columns: int = profile.get_columns("a")

    def reset(self) -> None:
        self.printer.hw("INIT")
        self._select_code_page()

    def style(self, **settings: Any) -> None:
        self.printer.set(**settings)
        if settings.keys() & {"font", "normal_textsize", "double_width", "double_height"}:
            # Font selection (ESC M, and ESC ! which carries a font bit) resets the code page on some printers.
            self._select_code_page()

    def _select_code_page(self) -> None:
        # python-escpos 3.1 believes the printer keeps its code page through ESC @ and ESC M (fixed upstream in
        # PR 729, unreleased): forget what it believes, so charcode() sends ESC t n again before any text.
        magic = self.printer.magic
        magic.encoding = None
        magic.encoder.used_encodings.clear()
        self.printer.charcode(self.code_page)

    def text(self, value: str) -> str:
        """The value as it will print: characters the code page lacks are replaced before anything is measured."""
        return printable(value, self.code_page)

    def line(self, value: str = "") -> None:
        self.printer.textln(value)

    def wrapped(self, value: str, width: int | None = None) -> None:
        for part in textwrap.wrap(self.text(value), width or self.columns, break_long_words=True) or [""]:
            self.line(part)

    def row(self, label: str, amount: str, indent: int = 0) -> None:
        """Label on the left, amount flush right; the amount gets its own line when both do not fit."""
        label, amount = self.text(label), self.text(amount)
        width = self.columns - indent
        if not amount:
            for part in textwrap.wrap(label, width, break_long_words=True):
                self.line(" " * indent + part)
            return
        if len(label) + 1 + len(amount) <= width:
            self.line(" " * indent + label + " " * (width - len(label) - len(amount)) + amount)
            return
        for part in textwrap.wrap(label, width, break_long_words=True):
            self.line(" " * indent + part)
        self.line(amount.rjust(self.columns))

    def rule(self) -> None:
        self.line("-" * self.columns)

    @property
    def output(self) -> bytes:
        return self.printer.output


def _header(ticket: _Ticket, view: ReceiptView) -> None:
    ticket.style(align="center", bold=True, double_width=True, double_height=True)
    ticket.wrapped(view.site_name, ticket.columns // 2)  # double width halves the columns
    ticket.style(normal_textsize=True, bold=False)
    for part in view.site_address_lines:
        ticket.wrapped(part)
    if view.site_phone:
        ticket.wrapped(view.site_phone)
    ticket.line()
    ticket.style(bold=True, double_height=True)
    ticket.wrapped(view.title)
    ticket.style(normal_textsize=True, bold=False)
    ticket.wrapped(view.number)
    ticket.wrapped(view.issued)
    ticket.style(align="left")
    if view.payer:
        ticket.line()
        ticket.wrapped(view.payer)


def _lines(ticket: _Ticket, view: ReceiptView) -> None:
    ticket.rule()
    for line in view.lines:
        ticket.row(line.description, line.amount)
        if line.detail:
            ticket.wrapped("  " + line.detail)
    ticket.rule()


def _totals(ticket: _Ticket, view: ReceiptView) -> None:
    ticket.row(view.subtotal.label, view.subtotal.amount)
    for tax in view.taxes:
        ticket.row(tax.label, tax.amount)
        if tax.note:
            ticket.row(tax.note, "", indent=2)
    ticket.style(bold=True, double_height=True)
    ticket.row(view.total.label, view.total.amount)
    ticket.style(normal_textsize=True, bold=False)
    ticket.line()
    rows: list[Row] = [view.payment] + ([view.refunded] if view.refunded else [])
    for row in rows:
        ticket.row(row.label, row.amount)


def _digital_copy(ticket: _Ticket, view: ReceiptView) -> None:
    ticket.line()
    # ESC a centres the printer's own QR code too; python-escpos refuses center=True with native=True.
    ticket.style(align="center")
    # Error correction M survives a smudge or a fold without making the code much bigger.
    # Dots per module: a receipt URL's code comes out about 3 cm wide on 80 mm paper, 2 cm on 58 mm.
    module_dots = 6 if ticket.columns >= 42 else 4
    constants = escpos()["constants"]
    ticket.printer.qr(view.url, native=True, size=module_dots, ec=constants.QR_ECLEVEL_M)
    ticket.line()
    ticket.wrapped(view.scan_hint)
    ticket.style(font="b")  # the small font fits a long URL on fewer lines
    for part in textwrap.wrap(view.url, ticket.printer.profile.get_columns("b"), break_long_words=True,
                              break_on_hyphens=False):
        ticket.line(ticket.text(part))
    ticket.style(font="a", align="left")


def render_receipt(receipt: Receipt, profile: Any) -> bytes:
    """The receipt as ESC/POS bytes for a printer of this python-escpos profile (a printer's `.profile`)."""
    ticket = _Ticket(profile)
    view = present(receipt, mask="•" if can_print("•", ticket.code_page) else "*")
    ticket.reset()
    _header(ticket, view)
    _lines(ticket, view)
    _totals(ticket, view)
    _digital_copy(ticket, view)
    ticket.printer.cut()
    return ticket.output
