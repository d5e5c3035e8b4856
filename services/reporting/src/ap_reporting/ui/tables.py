"""The tables of a page, and their CSV and XLSX downloads. Pure."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    numeric: frozenset[int] = field(default_factory=frozenset)  # columns aligned right
    money: frozenset[int] = field(default_factory=frozenset)  # columns of integer pence
    links: dict[int, str] = field(default_factory=dict)  # column -> href prefix (cell appended)
    shown: int | None = None  # rows on the web page at most (downloads hold them all)
    # column -> the count columns it rests on (suppression.py masks it when one is small)
    basis: dict[int, tuple[int, ...]] = field(default_factory=dict)
    breakdown: bool = False  # rows split a total shown on the page (secondary suppression)

    def export_rows(self) -> list[list[Cell]]:
        """Rows for a download: money in pounds as numbers, no spreadsheet formulas."""
        return [
            [
                _safe(c) if i not in self.money or not isinstance(c, int) else c / 100
                for i, c in enumerate(row)
            ]
            for row in self.rows
        ]

    @property
    def empty(self) -> bool:
        return not self.rows


def pounds(pence: int | None) -> str | None:
    return None if pence is None else f"£{pence / 100:,.2f}"


def rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _safe(cell: Cell) -> Cell:
    """No formulas in a spreadsheet cell (CSV injection): text starting =+-@ is quoted."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return cell


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows(table.export_rows())
    return out.getvalue()


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table, its caption as the sheet's title."""
    book = Workbook()
    first = True
    for table in tables:
        sheet: Any = book.active if first else book.create_sheet()
        first = False
        sheet.title = table.id[:31]
        sheet.append(list(table.headers))
        for row in table.export_rows():
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
