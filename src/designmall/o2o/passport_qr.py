"""A QR code as a small SVG (the booth tablet's rotating code), drawn from the same module
matrix as the print sheets (``printing.qr_matrix``): one path, crisp at any size."""

from __future__ import annotations

from django.utils.html import escape

from designmall.o2o.printing import qr_matrix

QUIET = 4  # modules of white border a phone camera needs


def qr_svg(text: str, *, label: str = "") -> str:
    """``text`` as an SVG QR code; ``label``: its accessible name."""
    matrix = qr_matrix(text)
    size = len(matrix) + 2 * QUIET
    cells = "".join(
        f"M{x + QUIET} {y + QUIET}h1v1h-1z"
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'role="img" aria-label="{escape(label)}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{cells}" fill="#000"/></svg>'
    )
