"""Plots for the reports, as inline SVG.

The cohort plots (the accuracy / latency / cost tradeoff, the score distributions) are
drawn by matplotlib (Agg, SVG output); the per-submission latency histogram is written
as SVG directly in the same style (see :func:`_latency_svg` for why). Every plot is
readable in print and in grey scale: marker shapes, hatching, line styles and direct
labels carry the meaning, colour only repeats it. Text stays text (``svg.fonttype =
none``), so a browser's search and a screen reader find it.

The SVG is inlined into pages whose Content-Security-Policy allows no scripts: matplotlib
writes none, and :func:`inline_svg` removes anything executable or external all the same,
and prefixes element ids so that several plots can share a page.

Each plot is drawn once: the tradeoff plot once per cohort, every report marking its own
point on a copy (:meth:`TradeoffPlot.highlighted`); plots go through a :class:`PlotCache`
keyed by their data and kept on disk next to the reports, so rendering a batch's reports
again (at the end of every batch, or ``harness report``) draws nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from harness.fsutil import atomic_write_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOT_VERSION = "4"
_DRAWING = threading.RLock()
"""matplotlib's rcParams are global: plots are drawn one at a time (batches grade in threads)."""
"""Part of every cache key: bump it when a plot's drawing code changes."""

_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "worksample-harness",  # stable ids, so identical data gives identical SVG
    "font.family": "DejaVu Sans",  # bundled with matplotlib: the same text metrics everywhere
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#d0d7de",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
}
INK = "#1f2328"
MUTED = "#57606a"
FILL = "#8fb8de"
ACCENT = "#0550ae"
REFERENCE = "#9a6700"

# Everything an SVG could use to run code or load something: removed from matplotlib's
# output before it is inlined (it writes none of it; this is a guarantee, not a repair).
_XML_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_DANGEROUS_TAGS = r"(?:script|foreignObject|iframe|object|embed|image|a)"
_DANGEROUS_ELEMENTS = re.compile(
    rf"<({_DANGEROUS_TAGS})\b[^>]*?/>|<({_DANGEROUS_TAGS})\b[^>]*>.*?</\2\s*>",
    re.DOTALL | re.IGNORECASE,
)
_METADATA = re.compile(r"<metadata\b.*?</metadata>\s*", re.DOTALL)
_STYLE_ELEMENT = re.compile(r"<style\b.*?</style>\s*", re.DOTALL)
_EVENT_ATTRIBUTE = re.compile(r"\s+on[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*')", re.IGNORECASE)
_EXTERNAL_REFERENCE = re.compile(
    r"\s+(?:xlink:)?href\s*=\s*(\"(?!#)[^\"]*\"|'(?!#)[^']*')", re.IGNORECASE
)
_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE_ATTRIBUTE = re.compile(r'\s+(?:width|height)="[^"]*"')


def inline_svg(svg: str, prefix: str, title: str) -> str:
    """matplotlib's SVG document made fit to inline into an HTML page: no XML prologue or
    metadata, no script or external reference, ids prefixed with ``prefix``, the size
    left to CSS (the ``viewBox`` keeps the proportions), and ``title`` for screen readers."""
    svg = _XML_PROLOGUE.sub("", svg, count=1)
    svg = _METADATA.sub("", svg)
    svg = _STYLE_ELEMENT.sub("", svg)  # a global `*` rule; the page's stylesheet has it scoped
    svg = _DANGEROUS_ELEMENTS.sub("", svg)
    svg = _EVENT_ATTRIBUTE.sub("", svg)
    svg = _EXTERNAL_REFERENCE.sub("", svg)
    svg = svg.replace(' id="', f' id="{prefix}-')
    svg = re.sub(r'(href=")#', rf"\1#{prefix}-", svg)
    svg = svg.replace("url(#", f"url(#{prefix}-")
    root = _ROOT.search(svg)
    if root is None:
        raise ValueError("not an SVG document")
    label = _attribute_text(title)
    opening = _SIZE_ATTRIBUTE.sub("", root.group(0)).replace(
        "<svg ", f'<svg class="plot" role="img" aria-label="{label}" ', 1
    )
    svg = svg[: root.start()] + opening + svg[root.end() :]
    head_end = root.start() + len(opening)
    return f"{svg[:head_end]}\n<title>{_xml_text(title)}</title>{svg[head_end:]}".strip() + "\n"


Drawn = TypeVar("Drawn")


def _one_at_a_time(function: Callable[..., Drawn]) -> Callable[..., Drawn]:
    @functools.wraps(function)
    def drawing(*args: Any, **kwargs: Any) -> Drawn:
        with _DRAWING:
            return function(*args, **kwargs)

    return drawing


def _new_figure(
    width: float, height: float, columns: int = 1, bottom: float = 0.62
) -> tuple[Figure, list[Any]]:
    """A figure of ``columns`` axes with fixed margins (in inches; ``bottom`` leaves room
    for the x label, and a legend when there is one). Fixed margins instead of a layout
    engine: measuring every label costs more than drawing the whole plot."""
    import matplotlib  # imported when first drawing: it takes longer to load than to draw

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(width, height), dpi=72)
        figure.subplots_adjust(
            left=0.7 / width,
            right=1 - 0.15 / width,
            bottom=bottom / height,
            top=1 - 0.35 / height,
            wspace=0.28 if columns > 1 else 0.2,
        )
        axes = [figure.add_subplot(1, columns, index + 1) for index in range(columns)]
    return figure, axes


def _to_svg(figure: Figure) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


# -- caching --------------------------------------------------------------------------------


class PlotCache:
    """Rendered plots by a digest of their kind and data: in memory, and in ``directory``
    when one is given (so re-rendering a batch's reports does not draw them again)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(kind: str, data: object) -> str:
        encoded = json.dumps([PLOT_VERSION, kind, data], sort_keys=True, default=str)
        return f"{kind}-{hashlib.sha256(encoded.encode()).hexdigest()[:20]}"

    def get(self, kind: str, data: object, render: Callable[[], str], suffix: str = ".svg") -> str:
        key = self.key(kind, data)
        with self._lock:
            cached = self._memory.get(key)
        if cached is not None:
            return cached
        path = self.directory / f"{key}{suffix}" if self.directory is not None else None
        if path is not None and path.is_file():
            try:
                cached = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                cached = None
        if cached is None:
            cached = render()
            if path is not None:
                # A read-only output directory only costs the time to draw again.
                with contextlib.suppress(OSError):
                    atomic_write_text(path, cached, durable=False)  # a cache: no fsync
        with self._lock:
            self._memory[key] = cached
        return cached


# -- latency distribution -----------------------------------------------------------------


def _finite(values: Sequence[object]) -> list[float]:
    numbers = []
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            numbers.append(float(value))
    return numbers


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Linear-interpolated percentile of sorted values (numpy's default method)."""
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_plot(
    samples: Sequence[object], budget_p95_ms: float | None = None, cache: PlotCache | None = None
) -> str | None:
    """Histogram of single-record latencies with p50, p95 and the p95 budget marked, or
    None when fewer than two finite samples were recorded."""
    values = _finite(samples)
    if len(values) < 2:
        return None
    budget = budget_p95_ms if budget_p95_ms is not None and budget_p95_ms > 0 else None

    def render() -> str:
        return _latency_svg(values, budget)

    if cache is None:
        return render()
    return cache.get("latency", [values, budget], render)


# The latency histogram is one per submission, so it is written as SVG directly rather than
# drawn by matplotlib: the same picture (ticks from matplotlib's locator, the same fonts,
# colours and line styles as the other plots) in a fraction of a millisecond instead of
# tens of milliseconds, which is what keeps a 200-candidate batch within seconds.
_LATENCY_BOX = (460.8, 187.2)
_LATENCY_AREA = (50.0, 408.0, 28.0, 150.0)  # left, right, top, bottom of the plot area
_DASHES = {"--": "5.5 2.4", ":": "1.2 2", "-": ""}


def _ticks(low: float, high: float, count: int, integer: bool = False) -> list[float]:
    from matplotlib.ticker import MaxNLocator

    locator = MaxNLocator(nbins=count, integer=integer, min_n_ticks=2)
    return [float(tick) for tick in locator.tick_values(low, high) if low <= tick <= high]


def _tick_text(value: float, step: float) -> str:
    if step >= 1 or value == 0:
        return f"{value:,.0f}"
    decimals = max(0, -math.floor(math.log10(step)))
    return f"{value:,.{decimals}f}"


def _latency_svg(values: list[float], budget: float | None) -> str:
    ordered = sorted(values)
    p50, p95 = _percentile(ordered, 0.50), _percentile(ordered, 0.95)
    low, high = ordered[0], ordered[-1]
    # The budget joins the scale when it is near the samples; far off, it would squeeze
    # the distribution into a few bars, so it is named at the edge instead.
    off_scale = None
    if budget is not None:
        if budget > high * 1.5 + 1e-9 or budget < low / 1.5:
            off_scale = budget
        else:
            low, high = min(low, budget * 0.98), max(high, budget * 1.02)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    bins = 40
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / width))] += 1
    top = max(counts) * 1.08
    left, right, upper, lower = _LATENCY_AREA
    span_low = low - (high - low) * 0.03
    span_high = high + (high - low) * 0.03

    def x(value: float) -> float:
        return left + (value - span_low) / (span_high - span_low) * (right - left)

    def y(count: float) -> float:
        return lower - count / top * (lower - upper)

    font = "font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'viewBox="0 0 {_LATENCY_BOX[0]} {_LATENCY_BOX[1]}">',
        f'<rect x="0" y="0" width="{_LATENCY_BOX[0]}" height="{_LATENCY_BOX[1]}" fill="#ffffff"/>',
    ]
    x_ticks = _ticks(low, high, 8)
    y_ticks = _ticks(0, top, 5, integer=True)
    for tick in y_ticks:
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y(tick):.2f}" y2="{y(tick):.2f}" '
            f'stroke="#d0d7de" stroke-width="0.6"/>'
            f'<text x="{left - 5}" y="{y(tick) + 3:.2f}" text-anchor="end" '
            f'style="{font}; font-size: 9px" fill="{INK}">{tick:,.0f}</text>'
        )
    step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1.0
    for tick in x_ticks:
        parts.append(
            f'<line x1="{x(tick):.2f}" x2="{x(tick):.2f}" y1="{upper}" y2="{lower}" '
            f'stroke="#d0d7de" stroke-width="0.6"/>'
            f'<line x1="{x(tick):.2f}" x2="{x(tick):.2f}" y1="{lower}" y2="{lower + 3.5}" '
            f'stroke="{INK}" stroke-width="0.8"/>'
            f'<text x="{x(tick):.2f}" y="{lower + 13}" text-anchor="middle" '
            f'style="{font}; font-size: 9px" fill="{INK}">{_tick_text(tick, step)}</text>'
        )
    outline = [f"M {x(low):.2f} {y(0):.2f}"]
    for index, count in enumerate(counts):
        start, end = x(low + width * index), x(low + width * (index + 1))
        outline.append(f"L {start:.2f} {y(count):.2f} L {end:.2f} {y(count):.2f}")
    outline.append(f"L {x(high):.2f} {y(0):.2f} Z")
    parts.append(
        f'<path d="{" ".join(outline)}" fill="{FILL}" stroke="{ACCENT}" stroke-width="0.8"/>'
    )
    parts.append(
        f'<path d="M {left} {upper} L {left} {lower} L {right} {lower}" fill="none" '
        f'stroke="{INK}" stroke-width="0.8"/>'
    )
    marks = [("p50", p50, "--"), ("p95", p95, ":")]
    if budget is not None and off_scale is None:
        marks.append(("p95 budget", budget, "-"))
    if off_scale is not None:
        above = off_scale > high
        words = f"p95 budget {off_scale:,.2f} ms, off the scale"
        words = f"{words} \u2192" if above else f"\u2190 {words}"
        parts.append(
            f'<text x="{right if above else left + 4:.2f}" y="{upper + 10}" '
            f'text-anchor="{"end" if above else "start"}" style="{font}; font-size: 8px" '
            f'fill="{INK}">{words}</text>'
        )
    for index, (name, value, style) in enumerate(marks):
        dashes = f' stroke-dasharray="{_DASHES[style]}"' if _DASHES[style] else ""
        text = f"{name} {value:,.2f} ms"
        anchor_x, anchor = x(value) + 3, "start"
        if anchor_x + 5.2 * len(text) > _LATENCY_BOX[0]:
            anchor_x, anchor = x(value) - 3, "end"
        parts.append(
            f'<line x1="{x(value):.2f}" x2="{x(value):.2f}" y1="{upper}" y2="{lower}" '
            f'stroke="{INK}" stroke-width="1.2"{dashes}/>'
            f'<text x="{anchor_x:.2f}" y="{upper + 10 + 12 * index}" text-anchor="{anchor}" '
            f'style="{font}; font-size: 8px" fill="{INK}" stroke="#ffffff" stroke-width="2.5" '
            f'paint-order="stroke">{_xml_text(text)}</text>'
        )
    parts.append(
        f'<text x="{(left + right) / 2}" y="{lower + 28}" text-anchor="middle" '
        f'style="{font}; font-size: 9px" fill="{INK}">single-record latency (ms)</text>'
        f'<text x="14" y="{(upper + lower) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(upper + lower) / 2})" style="{font}; font-size: 9px" '
        f'fill="{INK}">calls</text>'
        f'<text x="{left}" y="{upper - 8}" style="{font}; font-size: 10px" fill="{MUTED}">'
        f"{len(values):,} timed single-record calls</text>"
    )
    parts.append("</svg>")
    return inline_svg("\n".join(parts), "latency", "Distribution of single-record latency")


# -- accuracy / latency / cost ----------------------------------------------------------------


@dataclass(frozen=True)
class TradeoffPoint:
    """One submission on the tradeoff plot."""

    id: str
    label: str
    """Short text drawn next to the marker when it is labelled (a rank number, 'reference')."""
    metric: float
    latency_p95_ms: float | None
    cost_per_million_usd: float | None
    reference: bool = False


def pareto_front(
    points: Sequence[tuple[str, float, float]], higher_is_better: bool = True
) -> list[str]:
    """Ids of the points no other point beats on both axes: ``(id, cost, quality)`` with
    cost lower-is-better and quality as ``higher_is_better`` says. Sorted by cost, so the
    front is found in one sweep (O(n log n))."""
    sign = 1.0 if higher_is_better else -1.0
    ordered = sorted(points, key=lambda point: (point[1], -sign * point[2], point[0]))
    front: list[str] = []
    best = -math.inf
    for identifier, _cost, quality in ordered:
        if sign * quality > best:
            front.append(identifier)
            best = sign * quality
    return front


LABEL_ALL_UP_TO = 25
"""Every point is labelled in cohorts up to this size; in larger ones only the Pareto
front and the reference are, so the labels stay readable."""
LABEL_FONT_SIZE = 8
_LABEL_CHAR_WIDTH = 0.6 * LABEL_FONT_SIZE  # DejaVu Sans, average, in points
_LABEL_HEIGHT = LABEL_FONT_SIZE + 1.0
_MARKER_RADIUS = 5.0
_LABEL_PLACES = ((5, -11), (5, 5), (-5, -11), (-5, 5), (5, -22), (5, 16), (-5, -22), (-5, 16))
"""Offsets (points) tried in turn; a negative x puts the label's right edge left of the point."""


def label_offsets(
    anchors: Sequence[tuple[float, float]],
    labels: Sequence[str],
    markers: Sequence[tuple[float, float]] = (),
) -> list[tuple[float, float]]:
    """Where to put each label (text offset in points from its anchor, y up) so that it
    covers neither a label placed before it nor a marker: the first free place of
    ``_LABEL_PLACES``, else the first place. Greedy, in order: put the labels that matter
    most first. Sizes are estimates from the font size (no renderer needed)."""
    taken: list[tuple[float, float, float, float]] = [
        (x - _MARKER_RADIUS, y - _MARKER_RADIUS, x + _MARKER_RADIUS, y + _MARKER_RADIUS)
        for x, y in markers
    ]
    chosen: list[tuple[float, float]] = []
    for (x, y), label in zip(anchors, labels, strict=True):
        width = _LABEL_CHAR_WIDTH * len(label)
        boxes = []
        for dx, dy in _LABEL_PLACES:
            left = x + dx if dx >= 0 else x + dx - width
            box = (left, y + dy - 2.0, left + width, y + dy + _LABEL_HEIGHT - 2.0)
            boxes.append(((left - x, float(dy)), box))
        free = [
            (offset, box)
            for offset, box in boxes
            if not any(
                box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]
                for other in taken
            )
        ]
        offset, box = free[0] if free else boxes[0]
        taken.append(box)
        chosen.append(offset)
    return chosen


PANELS = (
    ("latency_p95_ms", "p95 single-record latency (ms, log scale)"),
    ("cost_per_million_usd", "cost of a million predictions (USD, log scale)"),
)


@dataclass(frozen=True)
class TradeoffPlot:
    """The cohort's tradeoff plot, drawn once, with each point's position in SVG units so
    a report can mark its own submission without drawing again."""

    svg: str
    positions: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)
    """Per point and panel: x and y in SVG units, and the right edge of the panel."""
    fronts: dict[str, list[str]] = field(default_factory=dict)
    """Pareto-front ids per panel (``latency_p95_ms``, ``cost_per_million_usd``)."""
    omitted: int = 0
    """Submissions without the figures to place them (failed, or not measured)."""
    width: float = 0.0
    """Width of the SVG's view box (points)."""

    def to_json(self) -> str:
        return json.dumps(
            {
                "svg": self.svg,
                "positions": self.positions,
                "fronts": self.fronts,
                "omitted": self.omitted,
                "width": self.width,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TradeoffPlot:
        data = json.loads(text)
        positions = {
            key: [(float(x), float(y), float(right)) for x, y, right in value]
            for key, value in data["positions"].items()
        }
        return cls(data["svg"], positions, data["fronts"], data["omitted"], data["width"])

    def highlighted(self, point_id: str, text: str = "this submission") -> str:
        """The SVG with ``point_id`` ringed and labelled in every panel it appears in."""
        marks = []
        for x, y, right in self.positions.get(point_id, []):
            # Label on the side with room: right of the ring unless that leaves the panel.
            room_right = right - x > 15 + 6.5 * len(text)
            text_x, anchor = (x + 15, "start") if room_right else (x - 15, "end")
            text_y = y - 10 if y > 24 else y + 20
            marks.append(
                f'<circle cx="{x:.2f}" cy="{y:.2f}" r="9" fill="none" stroke="{INK}" '
                f'stroke-width="2.2"/>'
                f'<circle cx="{x:.2f}" cy="{y:.2f}" r="13" fill="none" stroke="{INK}" '
                f'stroke-width="0.8" stroke-dasharray="2 2"/>'
                f'<text x="{text_x:.2f}" y="{text_y:.2f}" text-anchor="{anchor}" '
                f'font-size="10" font-weight="bold" fill="{INK}" stroke="#ffffff" '
                f'stroke-width="3" paint-order="stroke">{_xml_text(text)}</text>'
            )
        if not marks:
            return self.svg
        closing = self.svg.rindex("</svg>")
        group = f'<g class="highlight">{"".join(marks)}</g>\n'
        return self.svg[:closing] + group + self.svg[closing:]


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute_text(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


def tradeoff_plot(
    points: Sequence[TradeoffPoint],
    metric_name: str,
    higher_is_better: bool = True,
    cache: PlotCache | None = None,
) -> TradeoffPlot | None:
    """Metric against p95 latency and against the cost of a million predictions, with the
    Pareto front of each panel drawn as a step line and the reference solution as a star.
    None when no point has both figures of either panel."""
    if cache is None:
        return _tradeoff_plot(points, metric_name, higher_is_better)
    data = [[dataclasses.astuple(point) for point in points], metric_name, higher_is_better]

    def render() -> str:
        plot = _tradeoff_plot(points, metric_name, higher_is_better)
        return "null" if plot is None else plot.to_json()

    cached = cache.get("tradeoff", data, render, suffix=".json")
    return None if cached == "null" else TradeoffPlot.from_json(cached)


@_one_at_a_time
def _tradeoff_plot(
    points: Sequence[TradeoffPoint], metric_name: str, higher_is_better: bool = True
) -> TradeoffPlot | None:
    panels = []
    for attribute, axis_label in PANELS:
        placed = [
            point
            for point in points
            if (value := getattr(point, attribute)) is not None and value > 0
        ]
        panels.append((attribute, axis_label, placed))
    if not any(placed for _attribute, _label, placed in panels):
        return None
    figure, axes_list = _new_figure(9.6, 4.0, columns=2, bottom=0.95)
    fronts: dict[str, list[str]] = {}
    for axes, (attribute, axis_label, placed) in zip(axes_list, panels, strict=True):
        axes.set_xlabel(axis_label)
        axes.set_ylabel(f"{metric_name} (hidden set)")
        if not placed:
            axes.text(0.5, 0.5, "not measured", transform=axes.transAxes, ha="center", color=MUTED)
            continue
        axes.set_xscale("log")
        front = pareto_front(
            [(point.id, getattr(point, attribute), point.metric) for point in placed],
            higher_is_better,
        )
        fronts[attribute] = front
        on_front = set(front)
        by_id = {point.id: point for point in placed}
        front_points = [by_id[identifier] for identifier in front]
        if front_points:
            xs = [getattr(point, attribute) for point in front_points]
            ys = [point.metric for point in front_points]
            axes.step(
                xs, ys, where="post", color=INK, linestyle="--", linewidth=1.0, label="Pareto front"
            )
        candidates = [point for point in placed if not point.reference]
        dominated = [point for point in candidates if point.id not in on_front]
        leading = [point for point in candidates if point.id in on_front]
        references = [point for point in placed if point.reference]
        groups: list[tuple[list[Any], dict[str, Any]]] = [
            (
                dominated,
                {
                    "marker": "o",
                    "s": 26,
                    "facecolors": "none",
                    "edgecolors": ACCENT,
                    "linewidths": 1.0,
                    "label": "candidate",
                },
            ),
            (
                leading,
                {
                    "marker": "D",
                    "s": 30,
                    "facecolors": ACCENT,
                    "edgecolors": INK,
                    "linewidths": 0.6,
                    "label": "candidate on the front",
                },
            ),
            (
                references,
                {
                    "marker": "*",
                    "s": 150,
                    "facecolors": REFERENCE,
                    "edgecolors": INK,
                    "linewidths": 0.6,
                    "label": "reference solution",
                    "zorder": 3,
                },
            ),
        ]
        for group, style in groups:
            if group:
                axes.scatter(
                    [getattr(p, attribute) for p in group], [p.metric for p in group], **style
                )
        axes.margins(x=0.2, y=0.12)  # room for the labels of the outermost points
        axes.autoscale_view()
        labelled = sorted(
            (
                point
                for point in placed
                if point.reference or point.id in on_front or len(placed) <= LABEL_ALL_UP_TO
            ),
            key=lambda point: (not point.reference, point.id not in on_front),
        )
        # Figure dpi is 72, so display pixels are points: offsets are computed in either.
        at: dict[str, tuple[float, float]] = {}
        for point in placed:
            x, y = axes.transData.transform((getattr(point, attribute), point.metric))
            at[point.id] = (float(x), float(y))
        offsets = label_offsets(
            [at[point.id] for point in labelled],
            [point.label for point in labelled],
            list(at.values()),
        )
        for point, offset in zip(labelled, offsets, strict=True):
            axes.annotate(
                point.label,
                (getattr(point, attribute), point.metric),
                xytext=offset,
                textcoords="offset points",
                fontsize=LABEL_FONT_SIZE,
                color=INK,
            )
    handles, labels = axes_list[0].get_legend_handles_labels()
    more_handles, more_labels = axes_list[1].get_legend_handles_labels()
    for handle, label in zip(more_handles, more_labels, strict=True):
        if label not in labels:
            handles.append(handle)
            labels.append(label)
    figure.legend(handles, labels, loc="lower center", ncols=len(labels))
    svg = _to_svg(figure)
    height = figure.get_figheight() * 72.0
    positions: dict[str, list[tuple[float, float, float]]] = {}
    for axes, (attribute, _label, placed) in zip(axes_list, panels, strict=True):
        right = float(axes.get_window_extent().x1)
        for point in placed:
            x, y = axes.transData.transform((getattr(point, attribute), point.metric))
            positions.setdefault(point.id, []).append((float(x), float(height - y), right))
    omitted = sum(
        1 for point in points if point.latency_p95_ms is None and point.cost_per_million_usd is None
    )
    direction = "higher" if higher_is_better else "lower"
    title = f"{metric_name} ({direction} is better) against p95 latency and cost per million predictions"
    width = figure.get_figwidth() * 72.0
    return TradeoffPlot(inline_svg(svg, "tradeoff", title), positions, fronts, omitted, width)


# -- cohort distributions -----------------------------------------------------------------


def distribution_plot(
    scores: Sequence[float],
    metric_values: Sequence[float],
    metric_name: str,
    baseline: float,
    target: float,
    reference_score: float | None = None,
    reference_metric: float | None = None,
    cache: PlotCache | None = None,
) -> str | None:
    """Two histograms: total scores (0..100) and the metric on the hidden set, with the
    challenge's baseline and target and the reference solution marked. None when empty."""
    totals, metrics = _finite(list(scores)), _finite(list(metric_values))
    if not totals and not metrics:
        return None
    arguments = (totals, metrics, metric_name, baseline, target, reference_score, reference_metric)
    if cache is None:
        return _distribution_plot(*arguments)
    return cache.get("distribution", list(arguments), lambda: _distribution_plot(*arguments))


@_one_at_a_time
def _distribution_plot(
    totals: list[float],
    metrics: list[float],
    metric_name: str,
    baseline: float,
    target: float,
    reference_score: float | None,
    reference_metric: float | None,
) -> str:
    figure, (score_axes, metric_axes) = _new_figure(9.6, 2.9, columns=2)
    score_edges = [float(edge) for edge in range(0, 105, 5)]
    score_axes.hist(
        totals, bins=score_edges, facecolor=FILL, edgecolor=ACCENT, linewidth=0.8, hatch="//"
    )
    score_axes.set_xlim(0, 100)
    score_axes.set_xlabel("total score (0..100)")
    score_axes.set_ylabel("submissions")
    score_axes.set_title(f"total score, {len(totals):,} submissions", loc="left", color=MUTED)
    if reference_score is not None:
        _mark(score_axes, reference_score, "reference", "-")
    if metrics:
        low = min([*metrics, baseline, target])
        high = max([*metrics, baseline, target])
        span = (high - low) or 1.0
        edges = [low - span * 0.02 + span * 1.04 * index / 24 for index in range(25)]
        metric_axes.hist(
            metrics, bins=edges, facecolor=FILL, edgecolor=ACCENT, linewidth=0.8, hatch="//"
        )
        for row, (name, value, style) in enumerate(
            (
                ("baseline", baseline, ":"),
                ("target", target, "--"),
                ("reference", reference_metric, "-"),
            )
        ):
            if value is not None:
                _mark(metric_axes, value, name, style, row)
    else:
        metric_axes.text(
            0.5, 0.5, "not measured", transform=metric_axes.transAxes, ha="center", color=MUTED
        )
    metric_axes.set_xlabel(f"{metric_name} on the hidden set")
    metric_axes.set_ylabel("submissions")
    metric_axes.set_title(f"{metric_name}, {len(metrics):,} measured", loc="left", color=MUTED)
    for axes in (score_axes, metric_axes):
        axes.yaxis.get_major_locator().set_params(integer=True)
    return inline_svg(_to_svg(figure), "distribution", "Distributions of total score and metric")


def _mark(axes: Any, value: float, name: str, style: str, row: int = 0) -> None:
    """A labelled vertical line; ``row`` staggers labels of lines that may be close."""
    low, high = axes.get_xlim()
    near_right = high > low and (value - low) / (high - low) > 0.85
    axes.axvline(value, color=INK, linestyle=style, linewidth=1.2)
    axes.annotate(
        name,
        (value, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-3 if near_right else 3, -2 - 11 * row),
        textcoords="offset points",
        ha="right" if near_right else "left",
        va="top",
        fontsize=8,
        color=INK,
        bbox={
            "boxstyle": "square,pad=0.1",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.85,
        },
    )
