"""The SVG chart builders: plain functions, checked on their output."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from spp import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 — our own output, well-formed XML


def test_donut_is_red_under_20_percent_and_green_otherwise():
    low = parse(charts.donut(available=199, used=801))
    assert low.get("data-colour") == "red"
    arc = low.find(f"{SVG}circle[@class='spp-donut-available']")
    assert arc.get("stroke") == charts.RED
    assert "19.9%" in charts.donut(199, 801)
    high = parse(charts.donut(available=200, used=800))
    assert high.get("data-colour") == "green"
    assert high.find(f"{SVG}circle[@class='spp-donut-available']").get("stroke") == charts.GREEN


def test_donut_arc_is_proportional_and_empty_pool_is_grey():
    svg = parse(charts.donut(available=250, used=750))
    dash = svg.find(f"{SVG}circle[@class='spp-donut-available']").get("stroke-dasharray")
    length, circumference = (float(x) for x in dash.split())
    assert abs(length / circumference - 0.25) < 0.001
    empty = parse(charts.donut(0, 0))
    assert empty.find(f"{SVG}circle[@class='spp-donut-available']") is None
    assert "No tokens" in empty.get("aria-label")


def test_donut_escapes_its_label():
    assert "<script>" not in charts.donut(1, 1, label="<script>")


def test_line_chart_has_axes_month_ticks_and_a_title_per_day():
    start = date(2025, 3, 10)
    points = [(start + timedelta(days=i), (i * 37) % 90) for i in range(365)]
    svg = parse(charts.line_chart(points))
    circles = svg.findall(f".//{SVG}circle")
    assert len(circles) == 365
    assert circles[0].find(f"{SVG}title").text == "2025-03-10: 0 tokens"
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    months = [label for label in labels if label and len(label) == 7 and label[4] == "-"]
    assert months[:2] == ["2025-04", "2025-05"] and len(months) == 12
    assert "0" in labels and "100" in labels  # a round top above the peak of 89
    assert "365 days" in svg.get("aria-label")


def test_line_chart_thousands_separators_and_empty_data():
    points = [(date(2026, 1, 1), 12_500.0), (date(2026, 1, 2), 0.0)]
    svg = charts.line_chart(points)
    assert "12,500 tokens" in svg
    assert "15,000" in svg or "14,000" in svg
    empty = parse(charts.line_chart([]))
    assert "no data" in empty.get("aria-label")


def test_nice_steps():
    assert charts.nice_step(89) == 25
    assert charts.nice_step(12_500) == 5_000
    assert charts.nice_step(0) == 1.0


# ------------------------------------------------------------------ bar chart, heat grid


def test_bar_chart_single_series_has_a_bar_value_and_title_per_category():
    svg = parse(
        charts.bar_chart(
            ["0–100", "101–500", "501–1,000", "> 1,000"],
            [("Users", [2, 0, 1, 1_250])],
            unit="users",
            label="Users per token band",
            testid="band-chart",
        )
    )
    assert svg.get("data-testid") == "band-chart"
    bars = svg.findall(f"{SVG}rect")
    # No bar for an empty band; every drawn bar says what it is.
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "0–100: 2 users",
        "501–1,000: 1 user",
        "> 1,000: 1,250 users",
    ]
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert "> 1,000" in labels and "1,250" in labels and "0" in labels
    assert "1,253 users in all" in svg.get("aria-label")


def test_bar_chart_bars_are_proportional():
    svg = parse(charts.bar_chart(["a", "b"], [("s", [50, 100])]))
    heights = [float(b.get("height")) for b in svg.findall(f"{SVG}rect")]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)


def test_bar_chart_stacks_series_with_a_legend():
    svg = parse(
        charts.bar_chart(
            ["2026-01", "2026-02"],
            [("AutoCAD", [100, 0]), ("Revit", [50, 25])],
            testid="month-chart",
        )
    )
    titles = [r.find(f"{SVG}title").text for r in svg.findall(f"{SVG}rect")]
    assert titles == [
        "2026-01 · AutoCAD: 100 tokens",
        "2026-01 · Revit: 50 tokens",
        "2026-02 · Revit: 25 tokens",
    ]
    legend = [t.text for t in svg.findall(f".//{SVG}g[@class='spp-legend-item']/{SVG}text")]
    assert legend == ["AutoCAD", "Revit"]


def test_bar_chart_empty_and_escaped():
    assert "no data" in charts.bar_chart([], [("s", [])])
    assert "<script>" not in charts.bar_chart(["<script>"], [("<b>", [1])])


def test_heat_grid_has_a_cell_per_week_and_product_shaded_by_share_of_days():
    weeks = [date(2025, 12, 1), date(2025, 12, 8)]
    svg = parse(
        charts.heat_grid(weeks, [("AutoCAD", [7, 0]), ("Revit", [1, 3])], [7, 3], label="Days")
    )
    cells = svg.findall(f"{SVG}rect")
    assert len(cells) == 4
    titles = [c.find(f"{SVG}title").text for c in cells]
    assert titles[0] == "AutoCAD, week of 2025-12-01: 7 of 7 days"
    assert titles[3] == "Revit, week of 2025-12-08: 3 of 3 days"
    # Every day used is the darkest shade; none is the empty grey; in between is lighter.
    assert cells[0].get("fill") == cells[3].get("fill") == "#0e74a8"
    assert cells[1].get("fill") == "#f1f3f5"
    assert cells[2].get("fill") not in ("#0e74a8", "#f1f3f5")
    assert "2 products over 2 weeks, 11 days used" in svg.get("aria-label")
    assert [t.text for t in svg.findall(f"{SVG}text")][:1] == ["2025-12"]


def test_bar_chart_of_counts_has_whole_number_ticks():
    svg = parse(charts.bar_chart(["a", "b"], [("Users", [2, 1])], unit="users"))
    ticks = [t.text for t in svg.findall(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "1", "2", "3"]
