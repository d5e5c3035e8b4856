"""Small numbers on the web pages and their downloads, by disclosure.py's rule. Pure.

For the roles disclosure.py suppresses (analyst, auditor), every count under its threshold, and
every figure derived from such a count (money, rates, shares), shows as "[c]"; where a table's
rows break down a total shown on the page, a lone small cell hides the next smallest too
(disclosure.hidden_cells). The builders in pages.py say which counts each cell rests on
(`Table.basis`, `Page.figure_basis`); this module only masks. LA officers see every figure.
"""

from dataclasses import replace

from .. import disclosure
from ..policy import policy
from .pages import Page
from .tables import Cell, Table

MARK = "[c]"
NOTE = (
    f"Figures marked {MARK} are suppressed: they count fewer than"
    f" {policy().suppress_below_pupils} pupils"
    " or placements, or are derived from such a count (cost, rate, share), or would reveal one;"
    " small numbers could identify pupils. LA officers see every figure."
)


def applies(role: str) -> bool:
    return role in disclosure.SUPPRESSED_ROLES


def table(t: Table) -> Table:
    """The table with every cell whose basis holds a small count masked."""
    if not t.basis:
        return t
    hidden_rows: dict[int, set[int]] = {}  # row -> basis columns hidden
    for col in {c for cols in t.basis.values() for c in cols}:
        cells = {str(i): row[col] for i, row in enumerate(t.rows)}
        if t.breakdown:
            hidden = disclosure.hidden_cells(cells, total_shown=True)
        else:
            hidden = {k for k, v in cells.items() if disclosure.small(v)}
        for k in hidden:
            hidden_rows.setdefault(int(k), set()).add(col)
    rows: list[tuple[Cell, ...]] = []
    for i, row in enumerate(t.rows):
        gone = hidden_rows.get(i, set())
        rows.append(
            tuple(MARK if gone & set(t.basis.get(c, ())) else cell for c, cell in enumerate(row))
        )
    return replace(t, rows=rows)


def page(p: Page) -> Page:
    """The page as a suppressed role sees it, with a note saying why when anything is masked."""
    figures = [
        (fid, label, MARK if any(disclosure.small(n) for n in p.figure_basis.get(fid, ())) else v)
        for fid, label, v in p.figures
    ]
    tables = [table(t) for t in p.tables]
    masked = figures != p.figures or tables != p.tables
    charts = [(svg, tid) for svg, tid in p.charts if not masked or _same(p, tables, tid)]
    notes = [*p.notes, NOTE] if masked else p.notes
    return replace(p, figures=figures, tables=tables, notes=notes, charts=charts)


def _same(p: Page, tables: list[Table], tid: str) -> bool:
    """A chart is kept only when its table lost nothing (a bar would show a masked figure)."""
    return all(a == b for a, b in zip(p.tables, tables, strict=True) if a.id == tid)
