"""Money as integer fen (CNY minor units). No floats anywhere.

``Money`` is the one small type: it adds, subtracts, multiplies by whole
numbers, compares, formats as ``¥1,299.00`` for people and as ``1299.00`` for
payment gateways, and parses yuan strings exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

MAX_FEN = 10**15  # a billion yuan and then some; anything above is input error
_YUAN_RE = re.compile(r"^(?P<sign>-?)(?P<yuan>\d{1,13})(?:\.(?P<fen>\d{1,2}))?$")


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    fen: int

    def __post_init__(self) -> None:
        if isinstance(self.fen, bool) or not isinstance(self.fen, int):
            raise TypeError(f"Money needs an int number of fen, got {type(self.fen).__name__}")
        if abs(self.fen) > MAX_FEN:
            raise ValueError("amount out of range")

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def from_yuan(cls, text: str) -> Money:
        """Parse a yuan string such as ``"1299"``, ``"1299.5"`` or ``"-0.01"`` exactly."""
        if not isinstance(text, str):
            raise TypeError("yuan amounts are parsed from strings only")
        match = _YUAN_RE.match(text.strip())
        if not match:
            raise ValueError(f"not a yuan amount: {text!r}")
        fen = int(match["yuan"]) * 100 + int((match["fen"] or "0").ljust(2, "0"))
        return cls(-fen if match["sign"] else fen)

    def yuan_str(self) -> str:
        """The gateway form: ``1299.00`` (no separators, no symbol)."""
        sign = "-" if self.fen < 0 else ""
        yuan, fen = divmod(abs(self.fen), 100)
        return f"{sign}{yuan}.{fen:02d}"

    def format(self) -> str:
        """The human form: ``¥1,299.00``."""
        sign = "-" if self.fen < 0 else ""
        yuan, fen = divmod(abs(self.fen), 100)
        return f"{sign}¥{yuan:,}.{fen:02d}"

    __str__ = format

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.fen - other.fen)

    def __mul__(self, times: int) -> Money:
        if isinstance(times, bool) or not isinstance(times, int):
            return NotImplemented
        return Money(self.fen * times)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.fen)

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.fen < other.fen

    def __bool__(self) -> bool:
        return self.fen != 0

    def share_bp(self, basis_points: int) -> Money:
        """``basis_points``/10000 of this amount, rounded half up to the fen."""
        if not 0 <= basis_points <= 10_000:
            raise ValueError("basis points must be within 0..10000")
        return Money((self.fen * basis_points + 5_000) // 10_000)


def percent_from_bp(basis_points: int) -> str:
    """Basis points as a percentage: 800 is "8%", 850 "8.5%", 1234 "12.34%"."""
    whole, part = divmod(int(basis_points), 100)
    return f"{whole}.{part:02d}".rstrip("0") + "%" if part else f"{whole}%"


def format_fen(fen: int | None) -> str:
    return "" if fen is None else Money(int(fen)).format()
