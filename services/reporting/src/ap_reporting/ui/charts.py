"""Server-rendered SVG charts (no script, no internet). Each has a table beside it. Pure."""

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 260, 70, 50, 20
BAR = "#1d70b8"  # GOV.UK blue: 5.2:1 on white
TEXT = "#0b0c0c"


def _nice_max(value: float) -> float:
    """The top of the axis: four equal steps of 1, 2 or 5 x 10^k that reach `value`."""
    if value <= 0:
        return 4
    step = value / 4
    magnitude = 10 ** math.floor(math.log10(step))
    nice = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= step)
    return float(max(nice, 1) * 4)


def columns(
    chart_id: str, title: str, points: Sequence[tuple[str, float]], *, unit: str = ""
) -> str:
    """A column chart of labelled values, e.g. weekly caseload or monthly spend."""
    top = _nice_max(max((v for _, v in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP
    n = max(len(points), 1)
    slot = plot_w / n
    parts = [
        f'<svg class="app-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="arial, sans-serif" font-size="12">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    every = max(1, math.ceil(n / 10))
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = LEFT + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{BAR}"><title>{escape(label)}: '
            f"{escape(_fmt(value, unit))}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" fill="{TEXT}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float, unit: str) -> str:
    if unit == "£":
        return f"£{value:,.0f}"
    return f"{value:,.0f}"
