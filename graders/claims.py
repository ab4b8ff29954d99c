"""Numbers a candidate claims in a writeup, checked against what the harness measured.

``extract_claims`` finds statements such as "ROC AUC: 0.91", "87% accuracy",
"p95 latency 12 ms", "training takes 45 s" or "5k rows/s" and normalises them to
the names of ``Measurements.figures()`` (``roc_auc``, ``latency_p95_ms``,
``train_wall_s``, ...) in the harness's units (fractions, ms, s, MB, rows/s).
Extraction is deliberately conservative: differences ("0.02 AUC lower"), ranges,
hypotheticals ("if we needed 1 ms") and targets are skipped, because a misread
claim costs the candidate a red flag while a missed one costs nothing.

``compare_claims`` sets each claim against the measured figure. A candidate's own
validation numbers legitimately differ from hidden-set numbers, so only a
difference beyond a generous tolerance is an over- or under-claim.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

Verdict = Literal["consistent", "over-claim", "under-claim", "not measured"]

METRIC_TOLERANCE = 0.02
"""Smallest absolute difference in a metric that counts as an over- or under-claim."""
CI_MULTIPLE = 3.0
"""A metric difference must also exceed this many confidence-interval half-widths."""
UNBOUNDED_RELATIVE_TOLERANCE = 0.05
"""For unbounded metrics (rmse, mae, log loss) the tolerance is at least this share of the value."""
RESOURCE_FACTOR = 1.5
"""Latency, time, memory and throughput claims may be off by this factor either way."""
QUOTE_CHARS = 240
"""Longest quote kept for a claim."""
CONTEXT_CHARS = 300
"""How far around a number its context (latency or training, hypothetical) is read."""

# -- what a quantity is ----------------------------------------------------------------------

_BOUNDED_METRICS = {
    "roc_auc",
    "average_precision",
    "accuracy",
    "balanced_accuracy",
    "f1",
    "macro_f1",
    "micro_f1",
    "weighted_f1",
    "precision",
    "recall",
    "mrr",
    "r2",
}
_LOWER_IS_BETTER_METRICS = {"rmse", "mae", "log_loss"}
_AT_K_PREFIXES = ("recall_at_", "precision_at_", "ndcg_at_", "map_at_", "mrr_at_")

_RESOURCES: dict[str, tuple[str, bool]] = {
    # quantity -> (unit, higher is better)
    "latency_p50_ms": ("ms", False),
    "latency_p95_ms": ("ms", False),
    "latency_p99_ms": ("ms", False),
    "latency_mean_ms": ("ms", False),
    "throughput_rows_per_s": ("rows/s", True),
    "train_wall_s": ("s", False),
    "model_load_s": ("s", False),
    "train_peak_memory_mb": ("MB", False),
    "predict_peak_memory_mb": ("MB", False),
    "peak_memory_mb": ("MB", False),
    "model_size_mb": ("MB", False),
}


def is_metric(quantity: str) -> bool:
    """Whether ``quantity`` is a model-quality metric (rather than time, memory or speed)."""
    return quantity not in _RESOURCES


def default_higher_is_better(quantity: str) -> bool:
    """The usual direction of a quantity, for when the caller does not say."""
    if quantity in _RESOURCES:
        return _RESOURCES[quantity][1]
    return quantity not in _LOWER_IS_BETTER_METRICS


def _bounded(quantity: str) -> bool:
    return quantity in _BOUNDED_METRICS or quantity.startswith(_AT_K_PREFIXES)


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A number the candidate states about their own model."""

    quantity: str
    """Normalised name, as in ``Measurements.figures()``: ``roc_auc``, ``latency_p95_ms``, ..."""
    value: float
    """In the harness's units: metrics as fractions (87% -> 0.87), ms, s, MB, rows/s."""
    unit: str
    """``""`` for metrics, else ``ms``, ``s``, ``MB`` or ``rows/s``."""
    line: int
    """1-based line of the writeup holding the number."""
    quote: str
    """The sentence (or table row) the claim comes from, verbatim."""
    text: str = ""
    """The matched fragment, e.g. ``AUC of 87%``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "value": self.value,
            "unit": self.unit,
            "line": self.line,
            "quote": self.quote,
            "text": self.text,
        }


@dataclass(frozen=True)
class ClaimCheck:
    """A claim next to the measured figure, with the verdict."""

    claim: Claim
    measured: float | None
    verdict: Verdict
    difference: float | None = None
    """Claimed minus measured, in the claim's unit."""
    relative_difference: float | None = None
    """The difference as a share of the measured value (None when that is 0 or missing)."""
    tolerance: str = ""
    """The tolerance that was applied, in words."""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.claim.to_dict(),
            "claimed": self.claim.value,
            "measured": self.measured,
            "difference": self.difference,
            "relative_difference": self.relative_difference,
            "verdict": self.verdict,
            "tolerance": self.tolerance,
        }

    def red_flag(self, source: str) -> str | None:
        """The red-flag line for an over-claim, showing both numbers; None otherwise."""
        if self.verdict != "over-claim" or self.measured is None:
            return None
        claim = self.claim
        where = "on the hidden set" if is_metric(claim.quantity) else "in the sandbox"
        return (
            f"claims {claim.quantity} {format_value(claim.quantity, claim.value, claimed=True)} "
            f"({source}:{claim.line}) but the harness measured "
            f"{format_value(claim.quantity, self.measured)} {where}"
        )


def format_value(quantity: str, value: float, claimed: bool = False) -> str:
    """A figure as an assessor reads it: claimed metrics as written, measured metrics to four
    decimals, resources to three significant digits with their unit."""
    if is_metric(quantity):
        return f"{value:g}" if claimed else f"{value:.4f}"
    unit = _RESOURCES[quantity][0]
    return f"{value:.3g} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


# -- comparison -------------------------------------------------------------------------------


def compare_claims(
    claims: Sequence[Claim],
    figures: Mapping[str, float | None],
    metric_higher_is_better: Mapping[str, bool] | None = None,
) -> list[ClaimCheck]:
    """Set each claim against the measured figure of the same name.

    Args:
        claims: From :func:`extract_claims`.
        figures: ``Measurements.figures()``: name -> value, with ``<metric>_ci_low`` and
            ``<metric>_ci_high`` when a confidence interval is known.
        metric_higher_is_better: Direction per metric name (e.g. from the metric
            catalogue); names not listed use the usual direction.

    Returns:
        One check per claim, in order. A metric claim is an over-claim when it is better
        than measured by more than ``max(0.02, 3 x CI half-width)`` (unbounded metrics
        such as rmse: also at least 5% of the value); a latency, time or memory claim
        when it is below measured / 1.5, a throughput claim when above measured x 1.5.
        The mirror images are under-claims.
    """
    directions = dict(metric_higher_is_better or {})
    checks = []
    for claim in claims:
        measured = figures.get(claim.quantity)
        if measured is None or not math.isfinite(measured):
            checks.append(ClaimCheck(claim, None, "not measured"))
            continue
        difference = claim.value - measured
        relative = difference / abs(measured) if measured != 0 else None
        if is_metric(claim.quantity):
            verdict, tolerance = _metric_verdict(claim, measured, figures, directions)
        else:
            verdict, tolerance = _resource_verdict(claim, measured)
        checks.append(ClaimCheck(claim, measured, verdict, difference, relative, tolerance))
    return checks


def _metric_verdict(
    claim: Claim,
    measured: float,
    figures: Mapping[str, float | None],
    directions: Mapping[str, bool],
) -> tuple[Verdict, str]:
    higher_is_better = directions.get(claim.quantity, default_higher_is_better(claim.quantity))
    tolerance, reason = METRIC_TOLERANCE, f"{METRIC_TOLERANCE:g} absolute"
    low, high = figures.get(f"{claim.quantity}_ci_low"), figures.get(f"{claim.quantity}_ci_high")
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
        from_interval = CI_MULTIPLE * (high - low) / 2
        if from_interval > tolerance:
            tolerance, reason = from_interval, f"{CI_MULTIPLE:g}x the CI half-width"
    if not _bounded(claim.quantity):
        relative = UNBOUNDED_RELATIVE_TOLERANCE * abs(measured)
        if relative > tolerance:
            tolerance, reason = relative, f"{UNBOUNDED_RELATIVE_TOLERANCE:.0%} of the value"
    advantage = claim.value - measured if higher_is_better else measured - claim.value
    description = f"±{tolerance:.4f} ({reason})"
    if advantage > tolerance:
        return "over-claim", description
    if advantage < -tolerance:
        return "under-claim", description
    return "consistent", description


def _resource_verdict(claim: Claim, measured: float) -> tuple[Verdict, str]:
    description = f"within a factor of {RESOURCE_FACTOR:g}"
    if measured <= 0 or claim.value <= 0:
        return "consistent", description  # a ratio means nothing here; both are shown
    ratio = claim.value / measured
    if _RESOURCES[claim.quantity][1]:  # throughput: higher is better
        better, worse = ratio > RESOURCE_FACTOR, ratio < 1 / RESOURCE_FACTOR
    else:
        better, worse = ratio < 1 / RESOURCE_FACTOR, ratio > RESOURCE_FACTOR
    if better:
        return "over-claim", description
    if worse:
        return "under-claim", description
    return "consistent", description


# -- text blocks ------------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s|$)")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_RULE = re.compile(r"^\s{0,3}(?:(?P<setext>=+|-{2,})|(?:\*\s*){3,}|(?:_\s*){3,})\s*$")
_TABLE_SEPARATOR = re.compile(r"\|?[\s:|-]+\|?")
_SENTENCE_END = re.compile(r"(?<=[.!?])[*_`)\]]*\s+(?=[A-Z0-9*_`\"'(\[])")

BlockKind = Literal["paragraph", "item", "table", "heading", "code"]


@dataclass(frozen=True)
class Block:
    """A paragraph, list item, table row, heading or code line, with wrapped lines joined.

    ``starts[i]`` is the offset in ``text`` where source line ``first_line + i`` begins.
    """

    text: str
    first_line: int
    starts: tuple[int, ...]
    kind: BlockKind

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.starts) - 1

    @cached_property
    def _boundaries(self) -> tuple[list[int], list[int]]:
        """Starts and ends of the gaps between sentences, found once per block."""
        found = list(_SENTENCE_END.finditer(self.text))
        return [gap.start() for gap in found], [gap.end() for gap in found]

    def sentence_start(self, offset: int) -> int:
        """Where the sentence holding ``offset`` starts."""
        ends = self._boundaries[1]
        index = bisect.bisect_right(ends, offset) - 1
        return ends[index] if index >= 0 else 0

    def sentence_end(self, offset: int) -> int:
        """Where the sentence holding ``offset`` ends (before the gap to the next one)."""
        starts = self._boundaries[0]
        index = bisect.bisect_left(starts, offset)
        return starts[index] if index < len(starts) else len(self.text)

    def line_at(self, offset: int) -> int:
        """1-based source line of the character at ``offset``."""
        return self.first_line + max(0, bisect.bisect_right(self.starts, offset) - 1)

    def sentence_at(self, offset: int) -> str:
        """The sentence holding ``offset`` (a table row: the whole row), at most 240
        characters and an ellipsis at each end where it was cut."""
        return self.quote_at(offset)[0]

    def quote_at(self, offset: int) -> tuple[str, int]:
        """The sentence holding ``offset`` and the line it starts on."""
        if self.kind in ("table", "heading", "code"):
            start, end = 0, len(self.text)
        else:
            start = self.sentence_start(offset)
            end = self.sentence_end(offset)
        whole_start, whole_end = start, end
        if end - start > QUOTE_CHARS:
            # A window around the hit, cut between words, not inside one.
            start = max(start, offset - QUOTE_CHARS // 2)
            end = min(end, start + QUOTE_CHARS)
            if start > whole_start and not self.text[start - 1].isspace():
                space = self.text.find(" ", start, offset)
                start = space + 1 if space != -1 else start
            if end < whole_end and not self.text[end].isspace():
                space = self.text.rfind(" ", max(offset, start), end)
                end = space if space != -1 else end
        raw = self.text[start:end]
        line = self.line_at(start + len(raw) - len(raw.lstrip()))
        sentence = raw.strip()
        if start == 0 and self.kind == "item":
            sentence = _LIST_ITEM.sub("", sentence, count=1)
        if self.kind == "table":
            sentence = " | ".join(cell.strip() for cell in _cells(sentence))
        if start > whole_start:
            sentence = "\u2026" + sentence
        if end < whole_end:
            sentence += "\u2026"
        return sentence, line


def split_blocks(text: str) -> list[Block]:
    """Split markdown into blocks. Wrapped lines of a paragraph or list item are joined, so
    a phrase broken by a line wrap is still found, and each block knows its source lines."""
    blocks: list[Block] = []
    current: list[tuple[int, str]] = []
    in_fence = False

    def flush() -> None:
        if current:
            kind: BlockKind = "item" if _LIST_ITEM.match(current[0][1]) else "paragraph"
            blocks.append(_join(current, kind))
            current.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if _FENCE.match(line):
            flush()
            in_fence = not in_fence
        elif in_fence:
            if stripped:
                blocks.append(_join([(number, line)], "code"))
        elif not stripped:
            flush()
        elif _HEADING.match(line):
            flush()
            blocks.append(_join([(number, line)], "heading"))
        elif rule := _RULE.match(line):
            # "Title" underlined with === or --- is a heading; *** and ___ are just rules.
            if rule.group("setext") and len(current) == 1 and not _LIST_ITEM.match(current[0][1]):
                blocks.append(_join(current, "heading"))
                current.clear()
            flush()
        elif stripped.startswith("|"):
            flush()
            if not _TABLE_SEPARATOR.fullmatch(stripped):
                blocks.append(_join([(number, line)], "table"))
        else:
            if _LIST_ITEM.match(line):
                flush()
            current.append((number, line))
    flush()
    return blocks


def _join(lines: list[tuple[int, str]], kind: BlockKind) -> Block:
    parts, starts, offset = [], [], 0
    for _, line in lines:
        piece = line.strip()
        starts.append(offset)
        parts.append(piece)
        offset += len(piece) + 1
    return Block(" ".join(parts), lines[0][0], tuple(starts), kind)


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return inner.split("|")


# -- patterns ---------------------------------------------------------------------------------

# A number standing alone: not part of "p95", "5-fold", "v1.2" or "80/20".
_NUMBER = r"(?<![\w.,/-])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w/]|\.\d)|(?<![\w.])\.\d+(?!\w)"
_PERCENT = r"(?P<percent>\s?%|\s+percent\b)?"

_METRIC_ALIASES: list[tuple[str, str]] = [
    # (pattern, quantity). At one position the first alternative that matches wins, so
    # longer and more specific names come first ("PR AUC" before "AUC", "recall@10" before
    # "recall").
    (r"(?:recall|hit[\s_-]*rate)[\s_-]*(?:@|at[\s_-]*)\d{1,4}", "recall_at_"),
    (r"precision[\s_-]*(?:@|at[\s_-]*)\d{1,4}", "precision_at_"),
    (r"n?dcg[\s_-]*(?:@|at[\s_-]*)\d{1,4}", "ndcg_at_"),
    (r"map[\s_-]*@[\s_-]*\d{1,4}", "map_at_"),
    (r"(?:mrr|mean[\s_-]*reciprocal[\s_-]*rank)[\s_-]*(?:@|at[\s_-]*)\d{1,4}", "mrr_at_"),
    (r"roc[\s_-]*auc|auc[\s_-]*roc|auroc|area under the (?:roc )?curve", "roc_auc"),
    (r"pr[\s_-]*auc|auc[\s_-]*pr|auprc|average[\s_-]*precision", "average_precision"),
    (r"auc", "roc_auc"),
    (r"balanced[\s_-]*accuracy", "balanced_accuracy"),
    (r"accuracy", "accuracy"),
    (r"macro[\s_-]*(?:averaged[\s_-]*)?f1(?:[\s_-]*score)?|f1[\s_-]*macro", "macro_f1"),
    (r"micro[\s_-]*(?:averaged[\s_-]*)?f1(?:[\s_-]*score)?|f1[\s_-]*micro", "micro_f1"),
    (r"weighted[\s_-]*(?:averaged[\s_-]*)?f1(?:[\s_-]*score)?|f1[\s_-]*weighted", "weighted_f1"),
    (r"f1(?:[\s_-]*score)?|f-1", "f1"),
    (r"precision", "precision"),
    (r"recall", "recall"),
    (r"mrr|mean[\s_-]*reciprocal[\s_-]*rank", "mrr"),
    (r"rmse|root[\s_-]*mean[\s_-]*squared[\s_-]*error", "rmse"),
    (r"mae|mean[\s_-]*absolute[\s_-]*error", "mae"),
    (r"r2|r²|r\^2|r[\s_-]*squared", "r2"),
    (r"log[\s_-]*loss|cross[\s_-]*entropy", "log_loss"),
]
_METRIC = re.compile(
    r"(?<![\w])(?:"
    + "|".join(f"(?P<m{index}>{pattern})" for index, (pattern, _) in enumerate(_METRIC_ALIASES))
    + r")(?![\w])",
    re.IGNORECASE,
)
_METRIC_THEN_VALUE = re.compile(
    rf"(?P<gap>[^\d\n.;!?]{{0,40}}?)(?P<number>{_NUMBER}){_PERCENT}", re.IGNORECASE
)
_VALUE_THEN_METRIC = re.compile(
    rf"(?P<number>{_NUMBER}){_PERCENT}\s+(?:(?P<word>[a-z-]+)\s+)?$", re.IGNORECASE
)
_RANGE_BEFORE = re.compile(r"\d\s*(?:-|\u2013|to)\s*$")
_RANGE_AFTER = re.compile(
    r"\s*(?:-|\u2013|to)\s*(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)(?P<percent>\s?%)?", re.IGNORECASE
)
# Words that make "<metric> ... <number>" a difference or a setting rather than a value.
_DELTA_IN_GAP = re.compile(
    r"\b(?:by|gain\w*|improv\w*|increas\w*|decreas\w*|drop\w*|lower|higher|better|worse|delta|"
    r"difference|than|vs|versus|lift|uplift|boost\w*|lost|loses|top|fold|folds|k|at|"
    r"threshold|weight)\b|[+±]",
    re.IGNORECASE,
)
_DELTA_BEFORE = re.compile(
    r"(?:\b(?:by|gain\w*|improv\w*|lost|lose|loses|drop\w*|extra|another|additional)|[+±])"
    r"\s*(?:about|around|roughly|~|≈)?\s*$",
    re.IGNORECASE,
)
_COMPARATIVE_AFTER = re.compile(
    r"^\s*(?:[a-z-]+\s+){0,2}?(?:lower|higher|better|worse|more|less|faster|slower|"
    r"improvement|gain|drop|points?|pp|over|above|below|vs\.?|versus|than)\b",
    re.IGNORECASE,
)
# "13 ms versus under 1 ms for the linear model": the second number is about an alternative.
_ALTERNATIVE_BEFORE = re.compile(
    r"\b(?:versus|vs\.?|compared (?:to|with)|than|against)\b[^.;]{0,20}$", re.IGNORECASE
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if|unless|would|could|might|target|budget|goal|sla|requirement|required|require|"
    r"must|needs?\s+to|had\s+to|aim\w*|threshold)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[;:—]|\s-\s|,\s+(?:but|and|so|while|whereas)\b")

_UNIT = re.compile(
    r"(?<![\w.,/-])(?P<number>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<suffix>k)?\s*(?:"
    r"(?P<time>ms|msec|milliseconds?|µs|μs|us|microseconds?|s|secs?|seconds?|mins?|minutes?|"
    r"h|hrs?|hours?)"
    r"|(?P<memory>kb|kib|mb|mib|gb|gib|megabytes?|gigabytes?)"
    r"|(?P<rate>(?:rows|predictions|preds|records|requests|reqs|samples|customers|calls|"
    r"inferences)\s*(?:/\s*|per\s+)(?:s|sec|second)|qps|rps))(?![\w])",
    re.IGNORECASE,
)
_TABLE_CELL = re.compile(
    r"[~≈<>]?\s*(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)(?P<percent>\s?%)?"
    r"(?:\s*(?P<unit>[a-zµμ/ ]+?))?",
    re.IGNORECASE,
)
_LATENCY_WORDS = re.compile(
    r"latenc\w*|\bp50\b|\bp90\b|\bp95\b|\bp99\b|\bmedian\b(?![\s-]+imput)|"
    r"per[\s-](?:row|record|prediction|request|call|customer|sample)|"
    r"single[\s-](?:row|record|customer)|one[\s-]row|inference|predict\w*|serv(?:e|ed|ing)\b|"
    r"respon\w*",
    re.IGNORECASE,
)
_TRAINING_WORDS = re.compile(r"\b(?:re)?train\w*|\bfit(?:s|ting)?\b", re.IGNORECASE)
_LOAD_WORDS = re.compile(r"\bload\w*|start[\s-]?up|cold[\s-]start", re.IGNORECASE)
_MEMORY_WORDS = re.compile(r"\bmemory\b|\bram\b|\brss\b|\bpeak\b", re.IGNORECASE)
_MODEL_SIZE_WORDS = re.compile(
    r"model\s+(?:size|file|artifact|directory|dir)|on\s+disk|pickle\w*|joblib|artifact|"
    r"(?:model|file)\s+(?:is|was|takes)",
    re.IGNORECASE,
)
_PER_CALL_AFTER = re.compile(
    r"\s*(?:/\s*(?:row|call|request|prediction)|per[\s-]|each\b|a\s+(?:row|prediction|call|"
    r"request))",
    re.IGNORECASE,
)
_PERCENTILE_AFTER = re.compile(
    r"\s*\(?\s*(?:at\s+(?:the\s+)?)?(?P<p>p50|p95|p99|median|mean|average|"
    r"(?:50|95|99)th(?:[\s-]+percentile)?)\b",
    re.IGNORECASE,
)
_NUMBER_SOON = re.compile(r"(?:\s|[:=~≈]|about|around|of|is|was|at|roughly)*\d", re.IGNORECASE)
_PERCENTILE = re.compile(
    r"\bp50\b|\bp95\b|\bp99\b|\bmedian\b(?![\s-]+imput)|\bmean\b|\baverage\b|"
    r"\b(?:50|95|99)(?:th)?[\s-]+percentile",
    re.IGNORECASE,
)


# -- extraction -------------------------------------------------------------------------------


def extract_claims(text: str) -> list[Claim]:
    """Find the numbers a writeup claims about the candidate's model.

    Returns:
        Claims in the order they appear, each with its line and sentence. Metric values
        are fractions ("AUC of 87%" -> 0.87); latencies are in ms, times in s, memory in
        MB, throughput in rows/s. Plain "latency" is taken as the median (p50).
    """
    claims: list[Claim] = []
    seen: set[tuple[str, float, int]] = set()
    header: Block | None = None
    previous: Block | None = None
    for block in split_blocks(text):
        if block.kind == "table":
            same_table = (
                previous is not None
                and previous.kind == "table"
                and block.first_line - previous.first_line <= 2  # the |---| row sits between
            )
            header = header if same_table else block
        previous = block
        if block.kind == "heading":
            continue
        found = [*_metric_claims(block), *_unit_claims(block)]
        if block.kind == "table" and header is not None and header is not block:
            found += _table_claims(header, block)
        for _, claim in sorted(found, key=lambda item: item[0]):
            key = (claim.quantity, round(claim.value, 9), claim.line)
            if key not in seen:
                seen.add(key)
                claims.append(claim)
    return claims


def _metric_claims(block: Block) -> Iterator[tuple[int, Claim]]:
    text = block.text
    for match in _METRIC.finditer(text):
        quantity = _metric_quantity(match)
        if quantity is None or _hypothetical(block, match.start()):
            continue
        found = _value_after(text, match, quantity) or _value_before(text, match, quantity)
        if found is not None:
            offset, end, value = found
            span = (min(offset, match.start()), max(end, match.end()))
            yield offset, _claim(block, quantity, value, "", offset, span)


def _metric_quantity(match: re.Match[str]) -> str | None:
    for index, (_, quantity) in enumerate(_METRIC_ALIASES):
        name = match.group(f"m{index}")
        if name is not None:
            if quantity.endswith("_at_"):
                digits = re.search(r"\d+", name)
                if digits is None:
                    return None
                if quantity == "mrr_at_" and digits.group(0) == "10":
                    return "mrr"  # the catalogue's mrr is cut at 10
                return f"{quantity}{digits.group(0)}"
            return quantity
    return None


def _metric_value(quantity: str, number: str, percent: str | None) -> float | None:
    value = _parse_number(number)
    if value is None:
        return None
    if percent or (_bounded(quantity) and value > 1):
        # "AUC of 87%" and "accuracy 87" are percentages; past 100 it is not a metric value.
        return value / 100 if _bounded(quantity) and 0 <= value <= 100 else None
    return value


def _value_after(text: str, match: re.Match[str], quantity: str) -> tuple[int, int, float] | None:
    """``AUC: 0.91``, ``accuracy of 87%``; ``AUC went from 0.80 to 0.85`` gives the last."""
    after = _METRIC_THEN_VALUE.match(text, match.end())
    if after is None:
        return None
    gap = after.group("gap")
    if _METRIC.search(gap) or _DELTA_IN_GAP.search(gap):
        return None
    number, percent = after.group("number"), after.group("percent")
    offset, end = after.start("number"), after.end()
    span = _RANGE_AFTER.match(text, end)
    if span is not None:
        if not re.search(r"\bfrom\b", gap, re.IGNORECASE):
            return None  # "AUC 0.84-0.86" is a range, not one claim
        number, percent = span.group("number"), span.group("percent")
        offset, end = span.start("number"), span.end()
    if _COMPARATIVE_AFTER.match(text[end : end + 40]):
        return None  # "AUC 0.02 higher than ..." is a difference
    value = _metric_value(quantity, number, percent)
    return (offset, end, value) if value is not None else None


def _value_before(text: str, match: re.Match[str], quantity: str) -> tuple[int, int, float] | None:
    """``0.85 AUC``, ``87% accuracy``, ``0.85 validation AUC``."""
    window_start = max(0, match.start() - 30)
    before = _VALUE_THEN_METRIC.search(text[window_start : match.start()])
    if before is None:
        return None
    word = (before.group("word") or "").lower()
    offset = window_start + before.start("number")
    lead = text[max(0, offset - 25) : offset]
    if (
        _DELTA_IN_GAP.fullmatch(word)
        or word in ("in", "on", "the", "and", "or", "of")
        or _DELTA_BEFORE.search(lead)
        or _RANGE_BEFORE.search(lead)
        or _ALTERNATIVE_BEFORE.search(lead)
        or _COMPARATIVE_AFTER.match(text[match.end() : match.end() + 40])
    ):
        return None
    value = _metric_value(quantity, before.group("number"), before.group("percent"))
    return (offset, window_start + before.end("number"), value) if value is not None else None


def _unit_claims(block: Block) -> Iterator[tuple[int, Claim]]:
    text = block.text
    previous_end = 0
    for match in _UNIT.finditer(text):
        start = match.start()
        sentence_start = max(block.sentence_start(start), start - CONTEXT_CHARS)
        segment_start = max(sentence_start, previous_end)
        previous_end = match.end()
        lead = text[max(0, start - 25) : start]
        if (
            _hypothetical(block, start)
            or _DELTA_BEFORE.search(lead)
            or _RANGE_BEFORE.search(lead)
            or _ALTERNATIVE_BEFORE.search(lead)
        ):
            continue
        if _COMPARATIVE_AFTER.match(text[match.end() : match.end() + 30]):
            continue  # "2 ms faster than" is a difference, not a measurement
        value = _parse_number(match.group("number"))
        if value is None:
            continue
        if match.group("suffix"):
            if not match.group("rate"):
                continue
            value *= 1000
        sentence_end = min(block.sentence_end(match.end()), match.end() + CONTEXT_CHARS)
        quantity: str | None
        converted: float | None
        if match.group("rate"):
            quantity, converted = "throughput_rows_per_s", value
        elif match.group("memory"):
            quantity = _memory_quantity(text, sentence_start, start, sentence_end)
            converted = _to_mb(value, match.group("memory"))
        else:
            quantity = _time_quantity(text, segment_start, sentence_start, match, sentence_end)
            unit = match.group("time")
            latency = quantity is not None and quantity.startswith("latency")
            converted = _to_ms(value, unit) if latency else _to_s(value, unit)
        if quantity is None or converted is None:
            continue
        span = (start, match.end())
        yield start, _claim(block, quantity, converted, _RESOURCES[quantity][0], start, span)


def _time_quantity(
    text: str, segment_start: int, sentence_start: int, match: re.Match[str], sentence_end: int
) -> str | None:
    """Which time a number is: the nearest latency, training or loading word before it in
    the sentence decides ("training takes 2 s and a prediction 13 ms"), else the first after
    it ("13 ms per prediction", "45 s to train")."""
    start, end = match.start(), match.end()
    percentile = _PERCENTILE_AFTER.match(text, end)
    if percentile is not None and _NUMBER_SOON.match(text, percentile.end()):
        percentile = None  # "8 ms (p95 about 12 ms)": the p95 belongs to the next number
    words = (
        (_LATENCY_WORDS, "latency"),
        (_TRAINING_WORDS, "train"),
        (_LOAD_WORDS, "load"),
    )
    before = [
        (found.start(), kind)
        for pattern, kind in words
        for found in pattern.finditer(text, sentence_start, start)
    ]
    after = [
        (found.start(), kind)
        for pattern, kind in words
        for found in pattern.finditer(text, end, sentence_end)
    ]
    if percentile is not None or _PER_CALL_AFTER.match(text, end):
        kind = "latency"
    elif before:
        kind = max(before)[1]
    elif after:
        kind = min(after)[1]
    else:
        return None
    if kind == "train":
        return "train_wall_s"
    if kind == "load":
        return "model_load_s"
    token = percentile.group("p") if percentile is not None else None
    if token is None:
        tokens = list(_PERCENTILE.finditer(text, max(segment_start, start - 40), start))
        token = tokens[-1].group(0) if tokens else None
    return _latency_quantity(token)


def _latency_quantity(token: str | None) -> str:
    token = (token or "").lower()
    if "99" in token:
        return "latency_p99_ms"
    if "95" in token:
        return "latency_p95_ms"
    if token in ("mean", "average"):
        return "latency_mean_ms"
    return "latency_p50_ms"


def _memory_quantity(text: str, sentence_start: int, start: int, sentence_end: int) -> str | None:
    before = text[sentence_start:start]
    if _MODEL_SIZE_WORDS.search(before) and not _MEMORY_WORDS.search(before):
        return "model_size_mb"
    if not _MEMORY_WORDS.search(text[sentence_start:sentence_end]):
        return None  # "the data is 2 MB" says nothing about the model
    train = [found.start() for found in _TRAINING_WORDS.finditer(before)]
    serve = [found.start() for found in _LATENCY_WORDS.finditer(before)]
    serve += [found.start() for found in _LOAD_WORDS.finditer(before)]
    if train or serve:
        nearest_train, nearest_serve = max(train, default=-1), max(serve, default=-1)
        return "train_peak_memory_mb" if nearest_train > nearest_serve else "predict_peak_memory_mb"
    after = text[start:sentence_end]
    if _TRAINING_WORDS.search(after):
        return "train_peak_memory_mb"
    if _LATENCY_WORDS.search(after):
        return "predict_peak_memory_mb"
    return "peak_memory_mb"


def _table_claims(header_row: Block, row: Block) -> list[tuple[int, Claim]]:
    """Claims in a table row whose header names the quantity, e.g.
    ``| model | ROC AUC | p95 latency (ms) |`` over ``| GBM | 0.87 | 13 |``."""
    header_cells, row_cells = _cells(header_row.text), _cells(row.text)
    if len(header_cells) != len(row_cells):
        return []
    claims = []
    search_from = 0
    for header, cell in zip(header_cells, row_cells, strict=True):
        position = row.text.find(cell, search_from)
        if position < 0:
            continue
        search_from = position + len(cell)
        cell_text = cell.strip().strip("*_` ")
        number = _TABLE_CELL.fullmatch(cell_text)
        if number is None:
            continue
        offset = position + cell.find(number.group("number"))
        unit_text = (number.group("unit") or "").strip()
        metric = _METRIC.search(header)
        quantity: str | None
        value: float | None
        if metric is not None and not unit_text:
            quantity = _metric_quantity(metric)
            value = (
                _metric_value(quantity, number.group("number"), number.group("percent"))
                if quantity is not None
                else None
            )
            unit = ""
        else:
            header_unit = re.search(r"\((?P<unit>[^)]{1,12})\)", header)
            unit_text = unit_text or (header_unit.group("unit").strip() if header_unit else "")
            phrase = f"{header.strip()}: {number.group('number')} {unit_text}"
            found = list(_unit_claims(Block(phrase, row.first_line, (0,), "table")))
            if not found:
                continue
            quantity, value, unit = found[0][1].quantity, found[0][1].value, found[0][1].unit
        if quantity is None or value is None:
            continue
        claim = Claim(
            quantity,
            value,
            unit,
            row.first_line,
            row.sentence_at(offset),
            f"{header.strip()}: {cell_text}",
        )
        claims.append((offset, claim))
    return claims


def _claim(
    block: Block, quantity: str, value: float, unit: str, offset: int, span: tuple[int, int]
) -> Claim:
    fragment = re.sub(r"[*_`]", "", block.text[span[0] : span[1]]).strip(" |:")
    return Claim(
        quantity=quantity,
        value=value,
        unit=unit,
        line=block.line_at(offset),
        quote=block.sentence_at(offset),
        text=fragment[:80],
    )


def _hypothetical(block: Block, offset: int) -> bool:
    """Whether the clause before ``offset`` states a condition, target or wish."""
    clause_start = max(block.sentence_start(offset), offset - CONTEXT_CHARS)
    for found in _CLAUSE_BREAK.finditer(block.text, clause_start, offset):
        clause_start = found.end()
    return bool(_HYPOTHETICAL.search(block.text, clause_start, offset))


def _parse_number(number: str) -> float | None:
    try:
        value = float(number.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _to_ms(value: float, unit: str) -> float | None:
    unit = unit.lower()
    if unit in ("µs", "μs", "us") or unit.startswith("microsecond"):
        return value / 1000
    if unit in ("ms", "msec") or unit.startswith("millisecond"):
        return value
    if unit in ("s", "sec", "secs") or unit.startswith("second"):
        return value * 1000
    if unit.startswith("min"):
        return value * 60_000
    if unit in ("h", "hr", "hrs") or unit.startswith("hour"):
        return value * 3_600_000
    return None


def _to_s(value: float, unit: str) -> float | None:
    milliseconds = _to_ms(value, unit)
    return milliseconds / 1000 if milliseconds is not None else None


def _to_mb(value: float, unit: str) -> float:
    unit = unit.lower()
    if unit in ("kb", "kib"):
        return value / 1024
    if unit in ("gb", "gib") or unit.startswith("gigabyte"):
        return value * 1024
    return value


__all__ = [
    "Block",
    "Claim",
    "ClaimCheck",
    "Verdict",
    "compare_claims",
    "default_higher_is_better",
    "extract_claims",
    "format_value",
    "is_metric",
    "split_blocks",
]
