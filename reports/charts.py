"""Horizontal bar charts drawn on the server as SVG. Geometry is computed here; the template only
places it. Each chart is shown with a table of the same numbers, which is what screen readers and
printouts rely on: the SVG carries a title and a one-line summary."""

from dataclasses import dataclass, field

WIDTH = 560  # drawn at about this size in a half-width dashboard card, so its 13px text stays 13px
LABEL_WIDTH = 170
VALUE_WIDTH = 110
ROW_HEIGHT = 30
BAR_HEIGHT = 20


@dataclass
class Bar:
    label: str
    value: float
    text: str  # beside the bar: short
    url: str = ""
    note: str = ""
    detail: str = ""  # in the table under the chart, when it says more than ``text``
    y: int = 0
    width: float = 0.0
    value_x: float = 0.0
    limit_x: float | None = None  # a marker, e.g. a mediator's maximum caseload


@dataclass
class Chart:
    key: str
    title: str
    summary: str
    bars: list[Bar] = field(default_factory=list)
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    label_x: int = LABEL_WIDTH - 8
    track_width: int = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height: int = 0


def bar_chart(key: str, title: str, bars: list[Bar], *, summary: str = "", limits: list[float] | None = None) -> Chart:
    top = max([b.value for b in bars] + [limit for limit in limits or [] if limit is not None] + [0]) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    for index, bar in enumerate(bars):
        bar.y = index * ROW_HEIGHT
        bar.width = round(span * bar.value / top, 1) if bar.value else 0
        bar.value_x = LABEL_WIDTH + bar.width + 6
        if limits and limits[index] is not None:
            bar.limit_x = round(LABEL_WIDTH + span * limits[index] / top, 1)
            bar.value_x = max(bar.value_x, bar.limit_x + 6)  # the value is written clear of the marker
    if not summary:
        summary = "; ".join(f"{b.label}: {b.detail or b.text}" for b in bars) or "No data."
    return Chart(key, title, summary, bars, height=max(len(bars), 1) * ROW_HEIGHT)
