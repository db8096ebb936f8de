"""The charts drawn on the server: well-formed SVG that names itself to a
screen reader, labels escaped, bars in proportion to the numbers."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from stats import charts

NS = {"svg": "http://www.w3.org/2000/svg"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def bar_widths(root: ET.Element) -> list[float]:
    return [float(r.get("width")) for r in root.iter(f"{{{NS['svg']}}}rect") if r.get("class")]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: charts.bars([("Phường A", 0.5)], chart_id="c", title="Đúng hạn"),
        lambda: charts.shares([("Trực tuyến", 3)], chart_id="c", title="Đúng hạn"),
        lambda: charts.columns(
            ["05/2026"], [charts.Series("Tiếp nhận", (2.0,))], chart_id="c", title="Đúng hạn"
        ),
        lambda: charts.bars([], chart_id="c", title="Đúng hạn", empty_message="Không có"),
    ],
)
def test_every_chart_is_an_image_named_by_its_title_and_description(draw):
    root = parse(draw())
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title c-desc"
    assert root.find("svg:title", NS).get("id") == "c-title"
    assert root.find("svg:title", NS).text == "Đúng hạn"
    assert root.find("svg:desc", NS).get("id") == "c-desc"
    assert root.get("viewBox")


def test_labels_are_escaped():
    evil = '<script>alert("x")</script> & co'
    markup = str(charts.bars([(evil, 0.25)], chart_id="x", title=evil))
    assert "<script>" not in markup
    root = parse(markup)  # still well-formed
    assert root.find("svg:title", NS).text == evil
    markup = str(charts.columns([evil], [charts.Series(evil, (1.0,))], chart_id="y", title="t"))
    assert "<script>" not in markup
    parse(markup)
    assert "<script>" not in str(charts.shares([(evil, 1)], chart_id="z", title=evil))


def test_bars_are_in_proportion_and_show_their_values():
    root = parse(charts.bars([("A", 1.0), ("B", 0.25), ("C", None)], chart_id="b", title="t"))
    full, quarter = bar_widths(root)  # no bar for "nothing to count"
    assert quarter == pytest.approx(full / 4)
    texts = [t.text for t in root.iter(f"{{{NS['svg']}}}text")]
    assert "100.0 %" in texts and "25.0 %" in texts and "–" in texts


def test_shares_split_one_bar_and_list_each_share():
    root = parse(charts.shares([("Online", 3), ("Counter", 1)], chart_id="s", title="t"))
    online, counter = bar_widths(root)
    assert online + counter == pytest.approx(400)
    assert online == pytest.approx(3 * counter)
    texts = " ".join(t.text for t in root.iter(f"{{{NS['svg']}}}text"))
    assert "Online: 3 (75.0 %)" in texts and "Counter: 1 (25.0 %)" in texts


def test_columns_stack_the_series_of_one_stack_and_set_the_others_beside():
    root = parse(
        charts.columns(
            ["04/2026", "05/2026"],
            [
                charts.Series("Received", (4.0, 2.0)),
                charts.Series("On time", (1.0, 1.0), charts.COLOURS[1], "resolved"),
                charts.Series("Late", (0.0, 1.0), charts.COLOURS[2], "resolved"),
            ],
            chart_id="t",
            title="t",
        )
    )
    bars = [r for r in root.iter(f"{{{NS['svg']}}}rect") if r.get("class")]
    # 4 + 2 received, 1 + 1 on time, 1 late (a zero draws nothing).
    assert len(bars) == 5
    heights = {r.find("svg:title", NS).text: float(r.get("height")) for r in bars}
    assert heights["04/2026, Received: 4"] == pytest.approx(160)  # the tallest fills the plot
    assert heights["05/2026, Late: 1"] == pytest.approx(40)
    late, on_time = (
        next(r for r in bars if r.find("svg:title", NS).text == f"05/2026, {name}: 1")
        for name in ("Late", "On time")
    )
    assert late.get("x") == on_time.get("x")  # stacked
    assert float(late.get("y")) + float(late.get("height")) == pytest.approx(
        float(on_time.get("y"))
    )


def test_a_chart_with_nothing_to_draw_says_so():
    root = parse(charts.shares([("A", 0)], chart_id="e", title="t", empty_message="Nothing"))
    assert [t.text for t in root.iter(f"{{{NS['svg']}}}text")] == ["Nothing"]
    assert not bar_widths(root)


def test_numbers_read_as_in_the_page_language():
    with translation.override("vi"):
        markup = str(charts.shares([("Trực tuyến", 2), ("Trực tiếp", 1)], chart_id="v", title="t"))
    assert "Trực tuyến: 2 (66,7 %)" in markup  # rounded, with a decimal comma
