"""Receipt printers (ESC/POS, python-escpos): choosing one from a setting, and printing a receipt on it.

python-escpos itself is imported on first use (see _library), never by importing this package.
"""
from kiosk.printing.device import PrinterUnavailable, print_receipt
from kiosk.printing.escpos_receipt import render_receipt
from kiosk.printing.setting import PrinterAddress, parse_printer_setting, printer_from_setting

__all__ = ["PrinterAddress", "PrinterUnavailable", "parse_printer_setting", "print_receipt", "printer_from_setting",
           "render_receipt"]
