"""What is owed and what was paid, on screen: rows of a label and an amount, and the receipt as a paper slip."""
from __future__ import annotations

from kivy.properties import NumericProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from shared.receipt import ReceiptView


class MoneyRow(BoxLayout):
    """A label on the left, its amount flush right; `kind` sets the weight (the total stands out)."""

    label = StringProperty("")
    amount = StringProperty("")
    kind = OptionProperty("line", options=["line", "detail", "subtotal", "tax", "total", "note", "heading"])
    scale = NumericProperty(1.0)  # a receipt slip is set smaller than the bill the visitor is asked to pay


class ReceiptPaper(BoxLayout):
    """The receipt as the printer would print it, from the shared presentation (so both always agree)."""

    def show(self, view: ReceiptView | None) -> None:
        self.clear_widgets()
        if view is None:
            return
        rows: list[tuple[str, str, str]] = [(view.site_name, "", "heading"), (view.number, "", "note"),
                                            (view.issued, "", "note")]
        for line in view.lines:
            rows.append((line.description, line.amount, "line"))
            if line.detail:
                rows.append((line.detail, "", "detail"))
        rows.append((view.subtotal.label, view.subtotal.amount, "subtotal"))
        rows += [(tax.label, tax.amount, "tax") for tax in view.taxes]
        rows.append((view.total.label, view.total.amount, "total"))
        rows.append((view.payment.label, view.payment.amount, "note"))
        for label, amount, kind in rows:
            self.add_widget(MoneyRow(label=label, amount=amount, kind=kind, scale=0.8))
