"""The class analytics of the instructor's set page as bar charts: pure layout from counts.

Each chart is a frozen value of SVG coordinates computed here from the
numbers alone (no request, no template): the histogram of best scores as
columns, each key's statuses as a stacked bar, each named mistake as a bar.
The templates (instructor_charts.html) only draw them. Every bar carries its
value as text and a pattern as well as a colour, so the charts read without
colour; the same numbers go in a table beside each chart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grader.analytics import BINS

WIDTH = 640
# Room for the value axis of the histogram and for labels under its columns.
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 24, 44
COLUMNS_HEIGHT = 240
# A bar chart's rows: the label's lines above the bar, then the bar; no axis on the left.
BAR_LEFT, LINE, BAR, GAP = 8, 16, 22, 14
# Room right of the longest bar for its value ("27 of 30").
VALUE_ROOM = 72
# A value is written inside a segment of a stacked bar when the segment is this wide.
FITS = 28
WRAP = 84  # characters of a bar's label per line


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: float
    y: float  # the column's top
    width: float
    height: float

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class ColumnChart:
    """Columns from a baseline, tallest at the top of the plotting area."""

    columns: tuple[Column, ...]
    y_ticks: tuple[tuple[float, int], ...]  # (SVG y, count)
    width: float = WIDTH
    height: float = TOP + COLUMNS_HEIGHT + BOTTOM
    left: float = LEFT
    right: float = WIDTH - RIGHT
    baseline: float = TOP + COLUMNS_HEIGHT

    @property
    def total(self) -> int:
        return sum(column.value for column in self.columns)


@dataclass(frozen=True)
class Segment:
    series: str
    value: int
    x: float
    width: float

    @property
    def middle(self) -> float:
        return self.x + self.width / 2

    @property
    def labelled(self) -> bool:
        """Whether the value is written inside the segment (the table has every value)."""
        return self.value > 0 and self.width >= FITS


@dataclass(frozen=True)
class BarRow:
    name: str  # what the row counts: an answer key, a mistake's code
    lines: tuple[str, ...]  # its label, wrapped
    y: float  # the bar's top
    segments: tuple[Segment, ...]

    @property
    def total(self) -> int:
        return sum(segment.value for segment in self.segments)

    @property
    def end(self) -> float:
        """The SVG x where the bar ends."""
        return self.segments[-1].x + self.segments[-1].width if self.segments else BAR_LEFT

    @property
    def line_ys(self) -> tuple[float, ...]:
        """The baseline of each of the label's lines."""
        first = self.y - len(self.lines) * LINE
        return tuple(first + (index + 1) * LINE - 4 for index in range(len(self.lines)))


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per row, each of one or more segments, scaled so that ``scale`` fills the width."""

    rows: tuple[BarRow, ...]
    scale: int
    height: float
    width: float = WIDTH
    bar: float = BAR


def _bar_width() -> float:
    return WIDTH - BAR_LEFT - RIGHT - VALUE_ROOM


def bin_labels() -> tuple[str, ...]:
    """Each bin's range of scores: bin i holds i/10 ≤ s < (i+1)/10, the last also 1."""
    return tuple(f"{i / BINS:g}–{(i + 1) / BINS:g}" for i in range(BINS))


def _count_ticks(largest: int) -> tuple[int, ...]:
    """Whole counts from 0 to at least ``largest`` (and 1) in steps of 1, 2 or 5 times a power of ten, at most six."""
    step = next(m * 10**e for e in range(10) for m in (1, 2, 5) if largest <= 5 * m * 10**e)
    top = -(-max(largest, 1) // step) * step
    return tuple(range(0, top + 1, step))


def histogram_chart(counts: Sequence[int]) -> ColumnChart:
    """Ten columns, one per bin of best scores, the axis up to the tallest."""
    ticks = _count_ticks(max(counts, default=0))
    top = ticks[-1]
    slot = (WIDTH - LEFT - RIGHT) / len(counts)

    def y(count: int) -> float:
        return TOP + COLUMNS_HEIGHT * (1 - count / top)

    columns = tuple(
        Column(label, count, LEFT + index * slot + slot * 0.1, y(count), slot * 0.8, COLUMNS_HEIGHT * count / top)
        for index, (label, count) in enumerate(zip(bin_labels(), counts, strict=True))
    )
    return ColumnChart(columns, tuple((y(tick), tick) for tick in ticks))


def bar_chart(rows: Sequence[tuple[str, str, Mapping[str, int]]], scale: int) -> BarChart:
    """One bar per ``(name, label, {series: value})`` in the order given, its
    segments in the mapping's order, ``scale`` (at least the largest total) filling the width."""
    scale = max(scale, *(sum(values.values()) for _, _, values in rows), 1)
    unit = _bar_width() / scale
    laid: list[BarRow] = []
    y = float(TOP)
    for name, label, values in rows:
        lines = tuple(textwrap.wrap(label, WRAP)) or (name,)
        y += len(lines) * LINE
        x = float(BAR_LEFT)
        segments = []
        for series, value in values.items():
            segments.append(Segment(series, value, x, value * unit))
            x += value * unit
        laid.append(BarRow(name, lines, y, tuple(segments)))
        y += BAR + GAP
    return BarChart(tuple(laid), scale, y - GAP + 8)
