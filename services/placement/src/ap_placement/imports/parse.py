"""Read an uploaded CSV or XLSX file into rows of cells. Pure: bytes in, rows out.

CSV: UTF-8 (with or without a byte-order mark) or Windows-1252; anything else is refused whole.
XLSX: read with openpyxl (never by hand); the first sheet; formula cells are kept as `Formula`
so validation can refuse them per row (a formula's cached value may be stale or absent).
Rows are numbered as a spreadsheet shows them: the header is row 1. Blank rows are skipped.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileRefusedError(ValueError):
    """The file as a whole cannot be read: not CSV/XLSX, an unknown encoding, too many rows."""

    def __init__(self, message: str, *, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Formula:
    """A formula cell: refused, since the value imported must be the value the officer saw."""

    text: str


Cell = str | int | float | bool | date | datetime | Formula | None


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    cells: tuple[Cell, ...]  # in header order
    problem: str | None = None  # a reason to refuse the row before reading its cells


@dataclass(frozen=True)
class Sheet:
    format: str  # "csv" or "xlsx"
    encoding: str | None
    headers: tuple[str, ...]
    rows: tuple[Row, ...]


def sniff(data: bytes) -> str:
    """'csv' or 'xlsx'; FileRefusedError for anything else."""
    if not data.strip():
        raise FileRefusedError("the file is empty")
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        raise FileRefusedError("an old .xls workbook: save it as .xlsx or CSV")
    if data.startswith(UTF16_BOMS) or b"\x00" in data[:4096]:
        raise FileRefusedError(
            "not a CSV or XLSX file (binary, or UTF-16 text): CSV must be UTF-8 or Windows-1252"
        )
    return "csv"


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (BOM or not), else Windows-1252, else refused."""
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(
            b"\xef\xbb\xbf"
        ) else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise FileRefusedError(
            f"byte {exc.start} is neither UTF-8 nor Windows-1252: save the file as UTF-8 CSV"
        ) from None


def parse(data: bytes, *, max_rows: int) -> Sheet:
    """Every non-blank row of the file; FileRefusedError when the file cannot be read at all."""
    kind = sniff(data)
    if kind == "xlsx":
        headers, rows, encoding = *_xlsx(data, max_rows), None
    else:
        text, encoding = decode_csv(data)
        headers, rows = _csv(text, max_rows)
    return Sheet(kind, encoding, headers, rows)


def _limit(rows: Iterator[Row], max_rows: int) -> tuple[Row, ...]:
    kept = []
    for row in rows:
        if row.problem is None and all(_blank(c) for c in row.cells):
            continue
        kept.append(row)
        if len(kept) > max_rows:
            raise FileRefusedError(
                f"the file has more than {max_rows} data rows (the limit, IMPORT_MAX_ROWS):"
                " split it into smaller files; nothing was imported"
            )
    return tuple(kept)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _csv(text: str, max_rows: int) -> tuple[tuple[str, ...], tuple[Row, ...]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and all(not h.strip() for h in header):
            header = next(reader, None)
        if header is None:
            raise FileRefusedError("the file has no header row")
        width = len(header)

        def rows() -> Iterator[Row]:
            for cells in reader:
                padded = [*cells, *[""] * (width - len(cells))]
                problem = None
                if any(c.strip() for c in padded[width:]):
                    problem = f"{len(cells)} cells for {width} headers"
                yield Row(reader.line_num, tuple(_csv_cell(c) for c in padded[:width]), problem)

        return tuple(h.strip() for h in header), _limit(rows(), max_rows)
    except csv.Error as exc:
        raise FileRefusedError(f"not a readable CSV file: {exc}") from None


def _csv_cell(value: str) -> Cell:
    value = value.strip()
    if value.startswith("="):
        return Formula(value)  # a spreadsheet formula exported as text, or a CSV injection
    return value or None


def _xlsx(data: bytes, max_rows: int) -> tuple[tuple[str, ...], tuple[Row, ...]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefusedError(
            f"not a readable XLSX workbook ({type(exc).__name__}): save it as .xlsx or CSV"
        ) from None
    try:
        sheet = book.worksheets[0]
        cells = enumerate(sheet.iter_rows(), start=1)
        header: tuple[Cell, ...] | None = None
        for _, row in cells:
            values = tuple(_xlsx_cell(c) for c in row)
            if not all(_blank(v) for v in values):
                header = values
                break
        if header is None:
            raise FileRefusedError("the workbook's first sheet has no header row")
        width = len(header)
        while width and _blank(header[width - 1]):
            width -= 1
        names = tuple("" if h is None else str(h).strip() for h in header[:width])

        def rows() -> Iterator[Row]:
            for number, row in cells:
                values = [_xlsx_cell(c) for c in row[:width]]
                values += [None] * (width - len(values))
                yield Row(number, tuple(values))

        return names, _limit(rows(), max_rows)
    finally:
        book.close()


def _xlsx_cell(cell: Any) -> Cell:
    value = cell.value
    if getattr(cell, "data_type", None) == "f" or (
        isinstance(value, str) and value.startswith("=")
    ):
        return Formula(str(value))
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float | bool | date | datetime) or value is None:
        return value
    return str(value)
