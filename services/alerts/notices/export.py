"""A notice's body as PDF (fpdf2, bundled DejaVu Sans) and as an .eml message (stdlib)."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from services.alerts.notices.render import inline_text
from services.db import utcnow

FONTS = Path(__file__).parent / "fonts"
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_NUMBERED = re.compile(r"^(\d+\.)\s+(.*)$")


class _Letter(FPDF):
    """A4 with the reference and page number in the footer."""

    def __init__(self, reference: str) -> None:
        super().__init__(format="A4")
        self.reference = reference

    def footer(self) -> None:
        """Reference and page number on every page."""
        self.set_y(-14)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.reference}  ·  {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def to_pdf(markdown: str, *, title: str, reference: str, author: str) -> bytes:
    """The body typeset as a PDF letter: headings bold, quotes indented, lists hung."""
    pdf = _Letter(reference)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("Doxwatch")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def para(text: str, *, indent: float = 0, size: float = 10, style: str = "") -> None:
        pdf.set_font("DejaVu", style=style, size=size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        numbered = _NUMBERED.match(line)
        if not line.strip():
            pdf.ln(2.5)
        elif heading:
            level = len(heading.group(1))
            pdf.ln(2 if level > 1 else 0)
            para(inline_text(heading.group(2)), size=14 if level == 1 else 11.5, style="B")
            pdf.ln(1)
        elif line.startswith(">"):
            pdf.set_text_color(60)
            para(inline_text(line.lstrip("> ")), indent=6, size=9.5)
            pdf.set_text_color(0)
        elif line.startswith("- "):
            para("•  " + inline_text(line[2:]), indent=4)
        elif numbered:
            para(f"{numbered.group(1)}  {inline_text(numbered.group(2))}", indent=4)
        elif line.startswith("**") and line.endswith("**"):
            para(inline_text(line), style="B")
        else:
            para(inline_text(line))
    return bytes(pdf.output())


def to_eml(
    *,
    text: str,
    subject: str,
    sender_name: str,
    sender_email: str,
    recipient: str | None,
    notice_id: str,
    template_version: str,
    pdf: bytes | None = None,
    pdf_name: str = "notice.pdf",
    draft: bool = True,
) -> EmailMessage:
    """The notice as an e-mail: plain-text body, the PDF attached.

    ``draft`` marks it ``X-Unsent: 1`` so that mail programs open the exported file as
    a message to send; the message Doxwatch sends itself is not a draft.
    """
    msg = EmailMessage(policy=SMTP)
    local, _, domain = sender_email.partition("@")
    msg["From"] = Address(sender_name, local, domain)
    if recipient and "@" in recipient:
        msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(idstring=notice_id.replace("-", "")[:12], domain=domain or None)
    msg["X-Doxwatch-Notice"] = notice_id
    msg["X-Doxwatch-Template"] = template_version
    if draft:
        msg["X-Unsent"] = "1"
    msg.set_content(text, subtype="plain", charset="utf-8")
    if pdf is not None:
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    return msg
