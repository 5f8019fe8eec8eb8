"""The SVG chart builders: plain functions, checked on their output."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

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
