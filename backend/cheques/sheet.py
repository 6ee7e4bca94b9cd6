"""The distribution sheet of a run, as a printable PDF (fpdf2): the run's header, then one row per cheque with
its employee, number, status, who gave it, who received it, when, and the signature drawn for it.

No amounts, on anybody's copy: the sheet is printed, lies on the desk and is what the payroll company or an
auditor is shown, so it proves who received which cheque without telling anyone what a colleague earns. Admins
see amounts in the panel and the API.
"""
from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cheques.employees import display_name
from backend.cheques.models import Cheque, Employee, Handover, PayrollRun
from backend.cheques.states import PROOF_LABELS, RUN_STATE_LABELS, STATUS_LABELS, ChequeStatus
from backend.documents.storage import DocumentStore
from backend.organisation.models import Site
from backend.receipts.pdf import FAMILY, FONTS, fit_font
from backend.staff.models import StaffMember
from shared.i18n import N_, translate

TEXT, MUTED, RULE, HEADING_FILL = (25, 25, 25), (85, 85, 85), (170, 170, 170), (238, 238, 238)
COLUMNS = (N_("Employee"), N_("Cheque"), N_("Status"), N_("Given by"), N_("Received by"), N_("When"),
           N_("Signature"))
WIDTHS = (48, 22, 42, 30, 48, 28, 42)  # millimetres; 260 fits a landscape Letter or A4 page within its margins
LABELLED = N_("{label}: {value}")
SIGNATURE_BOX = (42, 14)  # the drawn signature, scaled into this box (mm)


class _Sheet(FPDF):
    def __init__(self, page: tuple[float, float], footer_text: str) -> None:
        super().__init__(orientation="L", unit="mm", format=page)
        self.footer_text = footer_text
        self.add_font(FAMILY, "", FONTS / "AtkinsonHyperlegible-Regular.ttf")
        self.add_font(FAMILY, "B", FONTS / "AtkinsonHyperlegible-Bold.ttf")
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, 14)
        self.alias_nb_pages()
        self.add_page()

    def style(self, size: float, bold: bool = False, muted: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*(MUTED if muted else TEXT))

    def line_of(self, text: str, size: float = 10, bold: bool = False, muted: bool = False) -> None:
        self.style(size, bold, muted)
        self.multi_cell(0, size * 0.48, fit_font(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-10)
        self.style(8, muted=True)
        self.cell(0, 4, fit_font(f"{self.footer_text} — {self.page_no()}/{{nb}}"), align="R")


def _signature_image(data: bytes) -> Image.Image:
    """The signature on white (a transparent PNG would print black in some viewers), cropped to its ink."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    sheet = Image.new("RGB", rgba.size, (255, 255, 255))
    sheet.paste(rgba, mask=rgba.getchannel("A"))
    box = Image.eval(sheet.convert("L"), lambda v: 255 if v < 200 else 0).getbbox()
    return sheet.crop(box) if box else sheet


async def distribution_sheet(session: AsyncSession, run: PayrollRun, store: DocumentStore, language: str,
                             printed: dt.datetime) -> bytes:
    """The run's distribution sheet as PDF bytes, in `language` (fr or en), printed at `printed`."""
    site = await session.get(Site, run.site_id)
    zone = ZoneInfo(site.time_zone)
    t = lambda message: translate(language, message)  # noqa: E731 - a short alias keeps the table readable

    def labelled(label: str, value: object) -> str:
        return t(LABELLED).format(label=t(label), value=value)

    def when(at: dt.datetime) -> str:
        local = at.astimezone(zone)
        day, time = (format_skeleton(skeleton, local, locale=site.locale) for skeleton in ("MMMd", "Hm"))
        return f"{day}, {time}"

    rows = (await session.execute(
        select(Cheque, Employee, Handover).join(Employee, Employee.id == Cheque.employee_id)
        .outerjoin(Handover, Handover.cheque_id == Cheque.id)
        .order_by(Employee.family_name, Employee.given_name, Cheque.id).where(Cheque.run_id == run.id))).all()
    staff_ids = {i for i in (run.collected_by_id, run.pickup_assignee_id) if i}
    names = dict((await session.execute(select(StaffMember.id, StaffMember.display_name).where(
        StaffMember.id.in_(staff_ids)))).tuples().all()) if staff_ids else {}
    page = (215.9, 279.4) if site.country in ("CA", "US") else (210.0, 297.0)
    doc = _Sheet(page, f"{t(N_('Distribution sheet'))} · {run.payroll_company} · "
                       f"{format_date(run.pay_date, 'long', locale=site.locale)}")
    doc.line_of(site.name, 10, muted=True)
    doc.line_of(t(N_("Distribution sheet")), 18, bold=True)
    doc.line_of(f"{run.payroll_company} — {t(N_('pay date'))} {format_date(run.pay_date, 'long', locale=site.locale)}",
                12, bold=True)
    facts = [labelled(N_("State"), t(RUN_STATE_LABELS[run.state])), labelled(N_("Cheques"), len(rows))]
    if run.collected_at:
        facts.append(labelled(N_("Collected"), f"{when(run.collected_at)} "
                                               f"({names.get(run.collected_by_id, '')}, {run.collected_count})"))
    elif run.pickup_due_on:
        facts.append(labelled(N_("Pick-up"), f"{format_date(run.pickup_due_on, 'long', locale=site.locale)} "
                                             f"({names.get(run.pickup_assignee_id, '')})"))
    doc.line_of("   ·   ".join(facts), 10)
    if run.missing_note:
        doc.line_of(labelled(N_("Missing"), run.missing_note), 10)
    doc.line_of(labelled(N_("Printed"), when(printed)), 8.5, muted=True)
    doc.ln(3)
    doc.style(9)
    doc.set_draw_color(*RULE)
    with doc.table(col_widths=WIDTHS, borders_layout="HORIZONTAL_LINES", line_height=4.6, padding=(1.2, 1.2),
                   v_align="MIDDLE", first_row_as_headings=True, text_align="LEFT",
                   headings_style=FontFace(emphasis="BOLD", color=TEXT, fill_color=HEADING_FILL)) as table:
        heading = table.row()
        for title in COLUMNS:
            heading.cell(fit_font(t(title)))
        for cheque, employee, handover in rows:
            cells = table.row()
            cells.cell(fit_font(f"{display_name(employee)}\n{employee.number}"))
            cells.cell(fit_font(cheque.number))
            cells.cell(fit_font(t(STATUS_LABELS[cheque.status])))
            cells.cell(fit_font(handover.given_by_name if handover else ""))
            received = ""
            if handover:
                received = handover.delegate_name or display_name(employee)
                if handover.delegate_name:
                    received += "\n" + labelled(N_("Authorisation"), handover.authorisation_note[:80])
                received += "\n" + labelled(N_("Proof"), t(PROOF_LABELS[handover.proof]))
            cells.cell(fit_font(received))
            # When it was handed over, or when its last exception (held, voided, returned…) was recorded.
            moved = handover.at if handover else cheque.updated_at if cheque.status not in (
                ChequeStatus.EXPECTED, ChequeStatus.AT_DESK) else None
            cells.cell(fit_font(when(moved) if moved else ""))
            sha256 = (handover.signature_sha256 if handover else None) or cheque.requested_signature_sha256
            if sha256:
                image = _signature_image(await store.read(sha256))
                cells.cell(img=image, img_fill_width=False)
            else:
                cells.cell("")
    doc.set_title(f"{t(N_('Distribution sheet'))} – {run.payroll_company} – {run.pay_date.isoformat()}")
    doc.set_author(site.name)
    doc.set_creator("Accueil")
    doc.set_lang(language)
    return bytes(doc.output())
