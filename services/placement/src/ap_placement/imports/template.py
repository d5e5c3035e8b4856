"""The downloadable XLSX template of a layout: headers, validation lists and an example row."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from .layouts import Layout

TEMPLATE_ROWS = 5_000  # rows the validation lists cover


def workbook(layout: Layout) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = layout.name
    sheet.append(list(layout.names))
    sheet.append([c.example for c in layout.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(layout.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
        if column.choices:
            check = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=not column.required,
                showErrorMessage=True,
                error=f"use one of {', '.join(column.choices)}",
            )
            check.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            sheet.add_data_validation(check)
    notes = book.create_sheet("notes")
    notes.append(["column", "required", "values", "note"])
    for column in layout.columns:
        notes.append([
            column.name, "yes" if column.required else "", ", ".join(column.choices), column.note
        ])  # fmt: skip
    notes.append([])
    notes.append(["Dates: YYYY-MM-DD or dd/mm/yyyy. Headers in any case and order. Only the"
                  " first sheet is imported; formulas are refused: enter values."])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
