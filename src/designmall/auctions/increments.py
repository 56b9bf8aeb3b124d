"""Bid increment tables by price band. Pure: integers (fen) in, integers out; no Django.

A table is a list of bands ``(from_fen, step_fen)``: from ``from_fen`` (inclusive) up to the
next band's ``from_fen`` (exclusive) every bid moves by ``step_fen``. The first band starts at
0, starts strictly increase and steps are positive. ``DEFAULT`` is the design week's table
(in yuan: below 1,000 → 50; 1,000–5,000 → 100; 5,000–20,000 → 500; 20,000–100,000 → 1,000;
from 100,000 → 5,000). A lot's own table is just another ``IncrementTable``; tables compare
and hash by value and round-trip through JSON-able data (``to_data`` / ``from_data``) so a
lot or sale can keep one in a JSONField.

The grid (which amounts a bid may take), for a lot with start price ``S``:

- nothing below ``S`` is on the grid;
- in the band that holds ``S`` the grid counts from ``S``: ``S, S + step, S + 2·step, …``;
- in every band above it the grid counts from the band's start: ``from, from + step, …``.

So ``is_on_grid(a, S)`` is ``a >= S and (a - anchor) % step == 0`` with ``step`` the
increment of ``a``'s band and ``anchor`` = ``S`` if ``S`` lies in that band, else the band's
start. When ``S`` and every band start are multiples of the step below them (as in
``DEFAULT`` with a round start price) the grid is simply "multiples of the band's step", and
``next_valid(p) == p + increment_at(p)`` for every amount ``p`` on the grid.

The minimum next bid over a price ``p`` is ``next_valid(p, S)``: the smallest grid amount
that is at least ``p + increment_at(p)``. The rounding up only matters where a band start is
not on the grid of the band below (a custom table), for an odd start price crossing into
the next band, or for a price that is off the grid (a price raised to a hidden reserve).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from designmall.core.money import MAX_FEN

__all__ = [
    "DEFAULT",
    "Band",
    "BandStartsNotIncreasing",
    "BandValueInvalid",
    "BelowStartPrice",
    "FirstBandNotAtZero",
    "IncrementTable",
    "IncrementTableEmpty",
    "IncrementTableError",
    "StepNotPositive",
]


class IncrementTableError(ValueError):
    """An increment table built from operator input is invalid.

    ``code`` is stable (the Django side maps it to a translated message); ``band`` is the
    0-based index of the offending band, or ``None`` for the table as a whole.
    """

    code = "increment_table_invalid"

    def __init__(self, message: str, *, band: int | None = None):
        super().__init__(message)
        self.message = message
        self.band = band


class IncrementTableEmpty(IncrementTableError):
    code = "increment_table_empty"


class FirstBandNotAtZero(IncrementTableError):
    code = "increment_first_band_not_at_zero"


class BandStartsNotIncreasing(IncrementTableError):
    code = "increment_band_starts_not_increasing"


class StepNotPositive(IncrementTableError):
    code = "increment_step_not_positive"


class BandValueInvalid(IncrementTableError):
    """A band is not a pair of whole numbers of fen within range."""

    code = "increment_band_invalid"


class BelowStartPrice(ValueError):
    """There is no grid amount at or below an amount under the start price."""

    code = "below_start_price"


def _is_fen(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_FEN


@dataclass(frozen=True, slots=True)
class Band:
    """From ``from_fen`` (inclusive) until the next band, bids move by ``step_fen``."""

    from_fen: int
    step_fen: int


@dataclass(frozen=True)
class IncrementTable:
    """An immutable, validated increment table; build it with ``from_bands`` or ``from_data``."""

    bands: tuple[Band, ...]
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bands = tuple(self.bands)
        if not bands:
            raise IncrementTableEmpty("an increment table needs at least one band")
        for index, band in enumerate(bands):
            if not isinstance(band, Band):
                raise BandValueInvalid(f"band {index + 1} is not a Band", band=index)
            step = band.step_fen
            if not _is_fen(band.from_fen) or not isinstance(step, int) or isinstance(step, bool):
                raise BandValueInvalid(
                    f"band {index + 1}: amounts must be whole numbers of fen "
                    f"between 0 and {MAX_FEN}",
                    band=index,
                )
            if step <= 0:
                raise StepNotPositive(
                    f"band {index + 1}: the increment must be positive, got {step} fen",
                    band=index,
                )
            if step > MAX_FEN:
                raise BandValueInvalid(
                    f"band {index + 1}: the increment is out of range", band=index
                )
            if index == 0 and band.from_fen != 0:
                raise FirstBandNotAtZero(
                    f"the first band must start at 0 fen, not {band.from_fen}", band=0
                )
            if index > 0 and band.from_fen <= bands[index - 1].from_fen:
                raise BandStartsNotIncreasing(
                    f"band {index + 1} starts at {band.from_fen} fen, not above the "
                    f"previous band's start ({bands[index - 1].from_fen} fen)",
                    band=index,
                )
        object.__setattr__(self, "bands", bands)
        object.__setattr__(self, "_starts", tuple(band.from_fen for band in bands))

    # -- building and storing -------------------------------------------------------------

    @classmethod
    def from_bands(cls, bands: Iterable[tuple[int, int]]) -> IncrementTable:
        """A table from ``(from_fen, step_fen)`` pairs, validated."""
        built = []
        for index, pair in enumerate(bands):
            try:
                from_fen, step_fen = pair
            except (TypeError, ValueError):
                raise BandValueInvalid(
                    f"band {index + 1} must be a (from_fen, step_fen) pair", band=index
                ) from None
            built.append(Band(from_fen, step_fen))
        return cls(tuple(built))

    @classmethod
    def from_data(cls, data: Any) -> IncrementTable:
        """The inverse of ``to_data``: a list of ``{"from_fen": int, "step_fen": int}``."""
        if not isinstance(data, list | tuple):
            raise BandValueInvalid("an increment table is stored as a list of bands")
        pairs = []
        for index, item in enumerate(data):
            if not isinstance(item, Mapping) or set(item) != {"from_fen", "step_fen"}:
                raise BandValueInvalid(
                    f"band {index + 1} must have exactly the keys from_fen and step_fen",
                    band=index,
                )
            pairs.append((item["from_fen"], item["step_fen"]))
        return cls.from_bands(pairs)

    def to_data(self) -> list[dict[str, int]]:
        """JSON-able form: ``[{"from_fen": 0, "step_fen": 5000}, ...]``."""
        return [{"from_fen": b.from_fen, "step_fen": b.step_fen} for b in self.bands]

    # -- arithmetic -----------------------------------------------------------------------

    def _band_index(self, amount_fen: int) -> int:
        if amount_fen < 0:
            raise ValueError("amounts are never negative")
        return bisect_right(self._starts, amount_fen) - 1

    def _band_end(self, index: int) -> int | None:
        """The first amount past band ``index`` (``None`` for the open top band)."""
        return self._starts[index + 1] if index + 1 < len(self._starts) else None

    def _anchor(self, index: int, start_price_fen: int) -> int:
        band_start = self._starts[index]
        end = self._band_end(index)
        if band_start <= start_price_fen and (end is None or start_price_fen < end):
            return start_price_fen
        return band_start

    def increment_at(self, price_fen: int) -> int:
        """The increment that applies at ``price_fen`` (the step of the band holding it)."""
        return self.bands[self._band_index(price_fen)].step_fen

    def is_on_grid(self, amount_fen: int, start_price_fen: int) -> bool:
        """Whether ``amount_fen`` is on the grid of a lot starting at ``start_price_fen``."""
        if amount_fen < start_price_fen:
            return False
        index = self._band_index(amount_fen)
        anchor = self._anchor(index, start_price_fen)
        return (amount_fen - anchor) % self.bands[index].step_fen == 0

    def round_down_to_grid(self, amount_fen: int, start_price_fen: int) -> int:
        """The largest grid amount not above ``amount_fen``.

        Raises ``BelowStartPrice`` when ``amount_fen`` is below the start price (nothing on
        the grid is that low).
        """
        if amount_fen < start_price_fen:
            raise BelowStartPrice(
                f"{amount_fen} fen is below the start price of {start_price_fen} fen"
            )
        index = self._band_index(amount_fen)
        anchor = self._anchor(index, start_price_fen)
        step = self.bands[index].step_fen
        return anchor + (amount_fen - anchor) // step * step

    def round_up_to_grid(self, amount_fen: int, start_price_fen: int) -> int:
        """The smallest grid amount not below ``amount_fen`` (the start price at least)."""
        if amount_fen <= start_price_fen:
            return start_price_fen
        index = self._band_index(amount_fen)
        anchor = self._anchor(index, start_price_fen)
        step = self.bands[index].step_fen
        candidate = anchor - (anchor - amount_fen) // step * step  # anchor + ceil(...)·step
        end = self._band_end(index)
        # Past the band's end the next band's start is on the grid and comes first.
        return end if end is not None and candidate >= end else candidate

    def next_valid(self, price_fen: int, start_price_fen: int) -> int:
        """The minimum next bid over ``price_fen``: price + increment, rounded up to the grid."""
        return self.round_up_to_grid(price_fen + self.increment_at(price_fen), start_price_fen)


def _yuan_bands(*pairs: tuple[int, int]) -> IncrementTable:
    return IncrementTable.from_bands((start * 100, step * 100) for start, step in pairs)


DEFAULT = _yuan_bands((0, 50), (1_000, 100), (5_000, 500), (20_000, 1_000), (100_000, 5_000))
