"""The instructor's charts (api.pages.charts): their layout against numbers worked out here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.pages import charts

counts = st.lists(st.integers(0, 5000), min_size=10, max_size=10)


def test_the_bins_are_labelled_by_their_ranges():
    assert charts.bin_labels() == ("0–0.1", "0.1–0.2", "0.2–0.3", "0.3–0.4", "0.4–0.5",
                                   "0.5–0.6", "0.6–0.7", "0.7–0.8", "0.8–0.9", "0.9–1")


@pytest.mark.parametrize(("largest", "ticks"), [
    (0, (0, 1)), (1, (0, 1)), (5, (0, 1, 2, 3, 4, 5)), (6, (0, 2, 4, 6)), (27, (0, 10, 20, 30)),
    (4999, (0, 1000, 2000, 3000, 4000, 5000)),
])
def test_the_histogram_s_axis_reaches_the_tallest_column_in_round_steps(largest, ticks):
    chart = charts.histogram_chart([largest] + [0] * 9)
    assert tuple(count for _, count in chart.y_ticks) == ticks


@given(counts)
def test_each_column_s_height_is_its_count_over_the_axis_top(values):
    chart = charts.histogram_chart(values)
    top = chart.y_ticks[-1][1]
    plot_height = chart.baseline - chart.y_ticks[-1][0]
    assert [column.value for column in chart.columns] == values
    for column, value in zip(chart.columns, values, strict=True):
        assert column.height == pytest.approx(plot_height * value / top)
        assert column.y + column.height == pytest.approx(chart.baseline)
    lefts = [column.x for column in chart.columns]
    assert lefts == sorted(lefts) and lefts[0] >= chart.left
    assert chart.columns[-1].x + chart.columns[-1].width <= chart.right


statuses = st.fixed_dictionaries({s: st.integers(0, 300) for s in ("correct", "follow_through", "incorrect",
                                                                   "unanswered")})


@given(st.lists(statuses, min_size=1, max_size=8), st.integers(0, 1500))
def test_stacked_bars_are_their_values_end_to_end_on_one_scale(rows, attempted):
    chart = charts.bar_chart([(f"key{i}", f"key{i}", values) for i, values in enumerate(rows)], attempted)
    scale = max([attempted, 1] + [sum(values.values()) for values in rows])
    assert chart.scale == scale
    unit = (charts.WIDTH - charts.BAR_LEFT - charts.RIGHT - charts.VALUE_ROOM) / scale
    for row, values in zip(chart.rows, rows, strict=True):
        assert [(s.series, s.value) for s in row.segments] == list(values.items())
        x = charts.BAR_LEFT
        for segment in row.segments:
            assert segment.x == pytest.approx(x)
            assert segment.width == pytest.approx(segment.value * unit)
            x += segment.value * unit
        assert row.total == sum(values.values())
        assert row.end <= charts.WIDTH - charts.RIGHT - charts.VALUE_ROOM + 1e-9
    tops = [row.y for row in chart.rows]
    assert tops == sorted(tops) and chart.height > tops[-1] + charts.BAR


def test_a_value_is_written_on_a_segment_only_where_it_fits():
    chart = charts.bar_chart([("gap", "gap", {"correct": 99, "incorrect": 1, "unanswered": 0})], 100)
    wide, narrow, empty = chart.rows[0].segments
    assert wide.labelled and not narrow.labelled and not empty.labelled


def test_a_long_label_is_wrapped_above_its_bar():
    text = "This is KL(p ‖ q): the divergence is weighted by the other distribution. " * 2
    chart = charts.bar_chart([("kl_reversed", text, {"students": 3})], 10)
    row = chart.rows[0]
    assert len(row.lines) == 2 and " ".join(row.lines) == text.strip()
    assert all(len(line) <= charts.WRAP for line in row.lines)
    assert row.line_ys[-1] < row.y  # the last line's baseline above the bar
