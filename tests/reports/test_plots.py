"""Plots: inline-safe SVG, the Pareto front, caching and the per-report highlight."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports.plots import (
    PlotCache,
    TradeoffPoint,
    distribution_plot,
    inline_svg,
    label_offsets,
    latency_plot,
    pareto_front,
    tradeoff_plot,
)

HOSTILE_SVG = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="460.8pt" height="187.2pt" viewBox="0 0 460.8 187.2" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf:RDF>creator</rdf:RDF></metadata>
 <defs><style type="text/css">*{stroke-linejoin: round}</style><path id="m1" d="M 0 0"/>
 <clipPath id="p2"><rect x="0" y="0" width="1" height="1"/></clipPath></defs>
 <script>alert(1)</script>
 <g id="figure_1" onload="alert(2)" clip-path="url(#p2)"><use xlink:href="#m1" x="1" y="2"/>
 <a href="https://example.com/x"><path d="M 1 1"/><text>link</text></a>
 <image href="https://example.com/x.png"/>
 <foreignObject><div>html</div></foreignObject></g>
</svg>
"""


def test_inline_svg_strips_everything_active_and_prefixes_ids() -> None:
    svg = inline_svg(HOSTILE_SVG, "plot", 'Latency <& "quotes"')
    assert svg.startswith(
        '<svg class="plot" role="img" aria-label="Latency &lt;&amp; &quot;quotes&quot;"'
    )
    for forbidden in ("<?xml", "<!DOCTYPE", "<metadata", "<script", "onload", "<style",
                      "example.com", "<foreignObject", "<image", 'width="460.8pt"'):  # fmt: skip
        assert forbidden not in svg, forbidden
    assert 'viewBox="0 0 460.8 187.2"' in svg
    assert '<title>Latency &lt;&amp; "quotes"</title>' in svg
    assert 'id="plot-m1"' in svg and 'xlink:href="#plot-m1"' in svg
    assert 'clip-path="url(#plot-p2)"' in svg and 'id="plot-figure_1"' in svg
    assert not re.search(r'id="(?!plot-)', svg)
    assert "</a>" not in svg and ">link<" not in svg  # the whole element, not just its start
    assert svg.count("<g ") == svg.count("</g>")


def test_pareto_front_higher_and_lower_is_better() -> None:
    points = [
        ("a", 1.0, 0.70),
        ("b", 2.0, 0.80),
        ("c", 3.0, 0.75),
        ("d", 4.0, 0.90),
        ("e", 1.0, 0.6),
    ]
    assert pareto_front(points) == ["a", "b", "d"]
    # Lower is better (an error metric): the cheapest point with the lowest error wins.
    assert pareto_front(points, higher_is_better=False) == ["e"]
    assert pareto_front([]) == []


def test_latency_plot_marks_percentiles_and_budget() -> None:
    samples = [float(value) for value in range(1, 101)]
    svg = latency_plot(samples, budget_p95_ms=120.0)
    assert svg is not None
    assert "p50 50.50 ms" in svg and "p95 95.05 ms" in svg and "p95 budget 120.00 ms" in svg
    assert "single-record latency (ms)" in svg and "calls" in svg  # labelled axes
    assert "100 timed single-record calls" in svg
    far = latency_plot(samples, budget_p95_ms=1000.0)
    assert far is not None and "p95 budget 1,000.00 ms, off the scale \u2192" in far
    assert "p95 budget 1,000.00 ms</text>" not in far  # no line squeezing the histogram
    assert latency_plot([1.0]) is None
    assert latency_plot(["x", None, float("nan"), True]) is None


def test_plots_are_deterministic() -> None:
    samples = [1.0, 2.0, 2.5, 3.0, 10.0]
    assert latency_plot(samples) == latency_plot(samples)


def test_cache_draws_once_and_survives_a_new_process(tmp_path: Path) -> None:
    calls: list[int] = []

    def render() -> str:
        calls.append(1)
        return "<svg>drawn</svg>"

    cache = PlotCache(tmp_path)
    assert cache.get("kind", [1, 2], render) == "<svg>drawn</svg>"
    assert cache.get("kind", [1, 2], render) == "<svg>drawn</svg>"
    assert PlotCache(tmp_path).get("kind", [1, 2], render) == "<svg>drawn</svg>"
    assert len(calls) == 1
    PlotCache(tmp_path).get("kind", [1, 3], render)
    assert len(calls) == 2
    assert len(list(tmp_path.glob("kind-*.svg"))) == 2


def points() -> list[TradeoffPoint]:
    return [
        TradeoffPoint("ref", "reference", 0.89, 9.0, 0.08, reference=True),
        TradeoffPoint("fast", "#2", 0.80, 1.0, 0.01),
        TradeoffPoint("slow", "#3", 0.78, 80.0, 0.5),
        TradeoffPoint("failed", "#4", 0.70, None, None),
    ]


def test_tradeoff_plot_front_positions_and_highlight() -> None:
    plot = tradeoff_plot(points(), "roc_auc")
    assert plot is not None
    assert plot.fronts["latency_p95_ms"] == ["fast", "ref"]
    assert plot.fronts["cost_per_million_usd"] == ["fast", "ref"]
    assert plot.omitted == 1
    assert "failed" not in plot.positions and len(plot.positions["slow"]) == 2
    for label in ("Pareto front", "reference solution", "roc_auc (hidden set)",
                  "p95 single-record latency (ms, log scale)"):  # fmt: skip
        assert label in plot.svg
    (left_x, left_y, left_edge), (right_x, _right_y, right_edge) = plot.positions["slow"]
    assert 0 < left_x < left_edge < right_x < right_edge < plot.width  # one per panel
    marked = plot.highlighted("slow", "this submission")
    assert marked.count('class="highlight"') == 1 and "this submission" in marked
    assert f'cx="{left_x:.2f}" cy="{left_y:.2f}"' in marked
    assert plot.highlighted("failed") == plot.svg  # nothing to ring
    assert plot.svg.count("<circle") == 0  # the base plot stays unmarked


def test_tradeoff_plot_needs_figures() -> None:
    assert tradeoff_plot([TradeoffPoint("a", "#1", 0.5, None, None)], "roc_auc") is None


def test_distribution_plot_marks_thresholds() -> None:
    svg = distribution_plot([10.0, 50.0, 90.0], [0.6, 0.8], "roc_auc", 0.75, 0.86, 90.0, 0.89)
    assert svg is not None
    for text in (
        "baseline",
        "target",
        "reference",
        "total score (0..100)",
        "roc_auc on the hidden set",
    ):
        assert text in svg
    assert distribution_plot([], [], "roc_auc", 0.75, 0.86) is None


@pytest.mark.parametrize("samples", [[5.0, 5.0, 5.0], [0.0, 1e6]])
def test_latency_plot_of_degenerate_samples(samples: list[float]) -> None:
    assert latency_plot(samples) is not None


def _box(anchor: tuple[float, float], offset: tuple[float, float], label: str) -> tuple[float, ...]:
    width = 4.8 * len(label)
    left = anchor[0] + offset[0]
    return (left, anchor[1] + offset[1] - 2, left + width, anchor[1] + offset[1] + 7)


def test_labels_of_close_points_do_not_cover_each_other() -> None:
    # The reference and the runner-up a few points apart, as in the churn demo.
    anchors = [(400.0, 300.0), (402.0, 290.0), (200.0, 100.0)]
    labels = ["reference", "#2", "#4"]
    offsets = label_offsets(anchors, labels, anchors)
    boxes = [_box(a, o, label) for a, o, label in zip(anchors, offsets, labels, strict=True)]
    first, second = boxes[0], boxes[1]
    overlap = (
        first[0] < second[2]
        and second[0] < first[2]
        and first[1] < second[3]
        and second[1] < first[3]
    )
    assert not overlap, offsets
    for box, own in zip(boxes, anchors, strict=True):
        for marker in anchors:
            if marker != own:  # no label covers another point's marker
                assert not (
                    box[0] < marker[0] + 5
                    and marker[0] - 5 < box[2]
                    and box[1] < marker[1] + 5
                    and marker[1] - 5 < box[3]
                ), (box, marker)
    assert offsets[2] == (5.0, -11.0)  # a point on its own keeps the default place


def test_a_label_left_of_its_point_ends_before_it() -> None:
    # Every place on the right is taken by markers: the label goes to the left.
    anchor = (100.0, 100.0)
    blockers = [(100.0 + dx, 100.0 + dy) for dx in (12, 20) for dy in (-20, -8, 8, 20)]
    (offset,) = label_offsets([anchor], ["#7"], [anchor, *blockers])
    assert offset[0] < 0 and offset[0] + 4.8 * 2 <= -5 + 1e-9
