"""Print sheets for the show, made locally (no network): a table card per booth (A5
landscape, one page each) and labels for exhibits (A4, 2 × 4 labels a page). Each carries
the show's brand, the names in Chinese and English, the QR code of the short URL and the
code in letters (typed by hand when a camera cannot read it).

QR codes come from ``qrcode`` (already the project's QR library) as a module matrix and
are drawn as vector squares, so they print sharp at any size. PDFs are drawn with
ReportLab; Chinese uses the Adobe CID font ``STSong-Light``, which PDF readers and
printers supply, so no font file ships with us and the file stays small.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import qrcode
import qrcode.constants
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

BRAND_ZH = "设计周"
BRAND_EN = "Design Mall"
CJK = "STSong-Light"
LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
ACCENT = HexColor("#b4532a")
GREY = HexColor("#666666")

_fonts_ready = False


def _fonts() -> None:
    global _fonts_ready
    if not _fonts_ready:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK))
        _fonts_ready = True


@dataclass(frozen=True)
class Card:
    """What one printed card or label says (the caller words it, in both languages)."""

    url: str
    code: str
    name_zh: str
    name_en: str
    place_zh: str  # e.g. 展馆 · 展厅 · A12
    place_en: str
    note_zh: str = ""  # hours on a booth card, the shop on an exhibit label
    note_en: str = ""


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code of ``text`` as rows of dark (True) and light modules, quiet zone left
    to the caller. Error correction M: a label survives a scratch."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def _draw_qr(canvas: Canvas, text: str, *, x: float, y: float, size: float) -> None:
    """The QR code of ``text`` as a ``size`` square with its lower left corner at x, y."""
    matrix = qr_matrix(text)
    count = len(matrix)
    cell = size / count
    canvas.setFillColor(black)
    for r, row in enumerate(matrix):
        top = y + size - (r + 1) * cell
        c = 0
        while c < count:  # one rectangle per run of dark modules
            if not row[c]:
                c += 1
                continue
            start = c
            while c < count and row[c]:
                c += 1
            canvas.rect(x + start * cell, top, (c - start) * cell, cell, stroke=0, fill=1)


def _lines(text: str, font: str, size: float, width: float, limit: int) -> list[str]:
    """``text`` broken to fit ``width`` (by character: Chinese has no spaces; English
    breaks at a space when it can), at most ``limit`` lines, the last one cut with …."""
    lines: list[str] = []
    rest = " ".join((text or "").split())
    while rest and len(lines) < limit:
        n = len(rest)
        while n > 1 and pdfmetrics.stringWidth(rest[:n], font, size) > width:
            n -= 1
        if n < len(rest) and " " in rest[:n] and font != CJK:
            n = rest[:n].rindex(" ") + 1
        lines.append(rest[:n].rstrip())
        rest = rest[n:].lstrip()
    if rest and lines:
        last = lines[-1]
        while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _text(canvas: Canvas, lines: list[str], *, x: float, y: float, font: str, size: float):
    """Draw ``lines`` downward from baseline y; returns the y below them."""
    canvas.setFont(font, size)
    for line in lines:
        canvas.drawString(x, y, line)
        y -= size * 1.25
    return y


def _brand(canvas: Canvas, *, x: float, y: float, size: float) -> None:
    canvas.setFillColor(ACCENT)
    canvas.setFont(LATIN_BOLD, size)
    canvas.drawString(x, y, BRAND_EN)
    width = pdfmetrics.stringWidth(BRAND_EN + " ", LATIN_BOLD, size)
    canvas.setFont(CJK, size)
    canvas.drawString(x + width, y, BRAND_ZH)
    canvas.setFillColor(black)


def _booth_pages(canvas: Canvas, cards: Iterable[Card]) -> int:
    """Table cards, one A5 landscape page per booth; returns the pages drawn."""
    width, height = landscape(A5)
    margin = 12 * mm
    qr_size = 88 * mm
    text_width = width - 3 * margin - qr_size
    pages = 0
    for card in cards:
        pages += 1
        canvas.setPageSize((width, height))
        canvas.setFillColor(white)
        canvas.rect(0, 0, width, height, stroke=0, fill=1)
        canvas.setFillColor(ACCENT)
        canvas.rect(0, height - 6 * mm, width, 6 * mm, stroke=0, fill=1)
        canvas.setFillColor(black)
        _brand(canvas, x=margin, y=height - margin - 10 * mm, size=14)
        y = height - margin - 24 * mm
        y = _text(
            canvas,
            _lines(card.name_zh, CJK, 24, text_width, 2),
            x=margin,
            y=y,
            font=CJK,
            size=24,
        )
        y = _text(
            canvas,
            _lines(card.name_en, LATIN_BOLD, 15, text_width, 2),
            x=margin,
            y=y - 2,
            font=LATIN_BOLD,
            size=15,
        )
        canvas.setFillColor(GREY)
        y = _text(
            canvas,
            _lines(card.place_zh, CJK, 11, text_width, 2),
            x=margin,
            y=y - 8,
            font=CJK,
            size=11,
        )
        y = _text(
            canvas,
            _lines(card.place_en, LATIN, 10, text_width, 2),
            x=margin,
            y=y,
            font=LATIN,
            size=10,
        )
        y = _text(
            canvas,
            _lines(card.note_zh, CJK, 10, text_width, 2),
            x=margin,
            y=y - 4,
            font=CJK,
            size=10,
        )
        _text(
            canvas, _lines(card.note_en, LATIN, 9, text_width, 2), x=margin, y=y, font=LATIN, size=9
        )
        canvas.setFillColor(black)
        canvas.setFont(CJK, 12)
        canvas.drawString(margin, margin + 8 * mm, "扫码逛展位、买展品")
        canvas.setFont(LATIN, 11)
        canvas.drawString(margin, margin + 2 * mm, "Scan to visit the booth and shop its pieces")
        qr_x = width - margin - qr_size
        qr_y = (height - qr_size) / 2 - 4 * mm
        _draw_qr(canvas, card.url, x=qr_x, y=qr_y, size=qr_size)
        canvas.setFont(LATIN_BOLD, 12)
        canvas.drawCentredString(qr_x + qr_size / 2, qr_y - 7 * mm, card.code.upper())
        canvas.showPage()
    return pages


def _label_pages(canvas: Canvas, cards: Iterable[Card]) -> int:
    """Exhibit labels on A4 pages, 2 columns × 4 rows (about 95 × 66 mm each), with thin
    cutting lines; returns the labels drawn."""
    width, height = A4
    cols, rows = 2, 4
    margin = 10 * mm
    cell_w = (width - 2 * margin) / cols
    cell_h = (height - 2 * margin) / rows
    pad = 5 * mm
    qr_size = cell_h - 2 * pad - 6 * mm
    slot = drawn = 0
    for card in cards:
        if slot == cols * rows:
            canvas.showPage()
            slot = 0
        if slot == 0:
            canvas.setPageSize(A4)
        col, row = slot % cols, slot // cols
        x0 = margin + col * cell_w
        y0 = height - margin - (row + 1) * cell_h
        canvas.setStrokeColor(HexColor("#cccccc"))
        canvas.setLineWidth(0.3)
        canvas.rect(x0, y0, cell_w, cell_h, stroke=1, fill=0)
        text_w = cell_w - 3 * pad - qr_size
        top = y0 + cell_h - pad
        _brand(canvas, x=x0 + pad, y=top - 8, size=8)
        y = _text(
            canvas,
            _lines(card.name_zh, CJK, 13, text_w, 3),
            x=x0 + pad,
            y=top - 26,
            font=CJK,
            size=13,
        )
        y = _text(
            canvas,
            _lines(card.name_en, LATIN_BOLD, 9, text_w, 3),
            x=x0 + pad,
            y=y - 1,
            font=LATIN_BOLD,
            size=9,
        )
        canvas.setFillColor(GREY)
        y = _text(
            canvas, _lines(card.note_zh, CJK, 8, text_w, 1), x=x0 + pad, y=y - 4, font=CJK, size=8
        )
        y = _text(
            canvas, _lines(card.note_en, LATIN, 7, text_w, 1), x=x0 + pad, y=y, font=LATIN, size=7
        )
        _text(
            canvas, _lines(card.place_zh, CJK, 8, text_w, 1), x=x0 + pad, y=y - 2, font=CJK, size=8
        )
        canvas.setFillColor(black)
        canvas.setFont(CJK, 8)
        canvas.drawString(x0 + pad, y0 + pad + 9, "扫码看故事、购买")
        canvas.setFont(LATIN, 7)
        canvas.drawString(x0 + pad, y0 + pad, "Scan for the story and to buy")
        qr_x = x0 + cell_w - pad - qr_size
        qr_y = y0 + pad + 6 * mm
        _draw_qr(canvas, card.url, x=qr_x, y=qr_y, size=qr_size)
        canvas.setFont(LATIN_BOLD, 9)
        canvas.drawCentredString(qr_x + qr_size / 2, y0 + pad, card.code.upper())
        slot += 1
        drawn += 1
    if slot:
        canvas.showPage()
    return drawn


def sheet_pdf(booth_cards: Iterable[Card], exhibit_labels: Iterable[Card]) -> bytes:
    """One PDF: the booths' table cards, then the exhibits' label pages."""
    _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("Design Mall print sheet")
    canvas.setAuthor("Design Mall")
    pages = _booth_pages(canvas, booth_cards) + _label_pages(canvas, exhibit_labels)
    if not pages:
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def booth_cards_pdf(cards: Iterable[Card]) -> bytes:
    """Table cards, one A5 landscape page per booth."""
    return sheet_pdf(cards, [])


def exhibit_labels_pdf(cards: Iterable[Card]) -> bytes:
    """Exhibit labels, 8 to an A4 page."""
    return sheet_pdf([], cards)
