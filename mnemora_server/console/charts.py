"""Bar charts of daily usage, drawn as SVG on the server (no JavaScript, no library).

The markup is built with Jinja2's escaping for every text that comes from data, and carries
no ``style`` attributes (the console's Content-Security-Policy allows none): colours come
from classes in the console's stylesheet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

_WIDTH, _HEIGHT = 600, 160
_LEFT, _BOTTOM, _TOP = 56, 22, 8


@dataclass(frozen=True)
class Bar:
    """One day of a chart: its label and value (``None`` when it was not measured)."""

    label: str
    value: int | None


def bar_chart(
    title: str, bars: Sequence[Bar], *, css_class: str, unit: Callable[[int], str] = str
) -> Markup:
    """An accessible SVG bar chart: one bar per day, the highest value on the axis, each bar
    titled with its day and value.

    Args:
        title: What the chart shows (its accessible name).
        bars: The days, oldest first.
        css_class: The class that colours the bars.
        unit: How a value is written (e.g. bytes as ``1.2 MB``).
    """
    values = [bar.value or 0 for bar in bars]
    top = max(values, default=0) or 1
    plot_width = _WIDTH - _LEFT
    plot_height = _HEIGHT - _BOTTOM - _TOP
    step = plot_width / max(len(bars), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + plot_height}" x2="{_WIDTH}" '
        f'y2="{_TOP + plot_height}"/>',
        f'<text class="tick" x="{_LEFT - 6}" y="{_TOP + 10}" text-anchor="end">'
        f"{escape(unit(max(values, default=0)))}</text>",
        f'<text class="tick" x="{_LEFT - 6}" y="{_TOP + plot_height}" text-anchor="end">0</text>',
    ]
    for index, bar in enumerate(bars):
        height = (bar.value or 0) / top * plot_height
        x = _LEFT + index * step + step * 0.1
        shown = "not measured" if bar.value is None else unit(bar.value)
        parts.append(
            f'<rect class="{escape(css_class)}" x="{x:.1f}" y="{_TOP + plot_height - height:.1f}" '
            f'width="{step * 0.8:.1f}" height="{height:.1f}">'
            f"<title>{escape(bar.label)}: {escape(shown)}</title></rect>"
        )
    if bars:
        parts += [
            f'<text class="tick" x="{_LEFT}" y="{_HEIGHT - 6}">{escape(bars[0].label)}</text>',
            f'<text class="tick" x="{_WIDTH}" y="{_HEIGHT - 6}" text-anchor="end">'
            f"{escape(bars[-1].label)}</text>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every data text above is escaped


def human_bytes(size: int) -> str:
    """A byte count as people read it (``1.5 MB``)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns at GB
