"""The print sheets of booths and exhibits: the words on each card, then ``printing``.

Who may download: the booth's seller (its own shop's booths) and operators (any booth).
The checks are the callers' (``services.booth_for_seller``, ``services.is_operator``).
"""

from __future__ import annotations

from collections.abc import Iterable

from designmall.o2o import printing
from designmall.o2o.models import Booth, Exhibit
from designmall.o2o.selectors import booth_url, exhibit_url


def _place(booth: Booth) -> tuple[str, str]:
    zh = [booth.venue.name_zh]
    en = [booth.venue.name_en or booth.venue.name_zh]
    if booth.hall_id:
        zh.append(booth.hall.name_zh)
        en.append(booth.hall.name_en or booth.hall.name_zh)
    zh.append(f"{booth.number} 展位")
    en.append(f"Booth {booth.number}")
    return " · ".join(zh), " · ".join(en)


def booth_card(booth: Booth) -> printing.Card:
    place_zh, place_en = _place(booth)
    days = f"{booth.opens_on:%m-%d}–{booth.closes_on:%m-%d}"
    hours = f"{booth.opens_at:%H:%M}–{booth.closes_at:%H:%M}"
    return printing.Card(
        url=booth_url(booth),
        code=booth.code,
        name_zh=booth.shop.name_zh,
        name_en=booth.shop.name_en or booth.shop.name_zh,
        place_zh=place_zh,
        place_en=place_en,
        note_zh=f"开放：{days} 每日 {hours}",
        note_en=f"Open {days}, daily {hours}",
    )


def exhibit_card(exhibit: Exhibit) -> printing.Card:
    booth = exhibit.booth
    place_zh, place_en = _place(booth)
    return printing.Card(
        url=exhibit_url(exhibit),
        code=exhibit.code,
        name_zh=exhibit.title_zh_shown,
        name_en=exhibit.title_en_shown or exhibit.title_zh_shown,
        place_zh=place_zh,
        place_en=place_en,
        note_zh=booth.shop.name_zh,
        note_en=booth.shop.name_en or booth.shop.name_zh,
    )


def booths_pdf(booths: Iterable[Booth]) -> bytes:
    """A table card per booth."""
    return printing.booth_cards_pdf(booth_card(booth) for booth in booths)


def exhibits_pdf(exhibits: Iterable[Exhibit]) -> bytes:
    """A label per exhibit."""
    return printing.exhibit_labels_pdf(exhibit_card(exhibit) for exhibit in exhibits)


def booth_sheet_pdf(booth: Booth) -> bytes:
    """One booth's print sheet: its table card, then a label for each active exhibit."""
    exhibits = list(
        booth.exhibits.filter(is_active=True)
        .select_related("product", "lot", "booth__venue", "booth__hall", "booth__shop")
        .order_by("position", "id")
    )
    return printing.sheet_pdf([booth_card(booth)], [exhibit_card(e) for e in exhibits])
