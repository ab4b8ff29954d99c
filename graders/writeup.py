"""Writeup: how well the candidate explains their work, with quoted evidence.

A deterministic analyzer scores each rubric criterion (the challenge's ``rubric``, or
:data:`DEFAULT_RUBRIC`) from what it can point at: a section whose heading matches, the
criterion's keywords, and specifics (numbers, named methods such as "stratified 5-fold",
identifiers) rather than generic statements; every criterion lists what it found, with
line-numbered quotes, and what was missing. The data-problems criterion is the share of the
problems injected into the data (the hidden data card) that the writeup names.

It also extracts the numbers the candidate claims ("AUC 0.91", "p95 12 ms") and compares
them with what the harness measured: a large over-claim is a red flag showing both numbers.

An optional LLM judge (``graders.llm_judge``, off by default) applies the same rubric. Its
scores appear as separate ``llm: <name>`` criteria and in ``details["llm_judge"]``; the
grade's score is always the deterministic one.

Everything read here is untrusted candidate text: it is matched with regular expressions
and quoted, never executed or rendered.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from challenges.spec import RubricCriterionSpec
from graders import grader
from graders.base import Criterion, Evidence, Grader, GradeResult, GradingContext
from graders.claims import Block, ClaimCheck, compare_claims, extract_claims, split_blocks
from graders.llm_judge import JudgeConfig, JudgeConfigError, JudgeResult, judge_config, run_judge
from graders.measure import BOOTSTRAP_RESAMPLES, measure
from graders.metrics import METRICS
from graders.predictions import read_regular_file

NAME = "writeup"
MAX_WRITEUP_BYTES = 256 * 1024
"""Text analysed per writeup; anything longer is cut (and the cut is noted)."""
MAX_READ_BYTES = 4 * 1024 * 1024
"""A writeup file larger than this is refused outright."""
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
"""Notebooks carry outputs (images), so they may be larger; only markdown cells are kept."""
README_NAME = "README.md"
NOTEBOOK_NAME = "submission.ipynb"
ADDRESSED = 0.5
"""A criterion scoring at least this counts as addressed in the summary."""
MAX_QUOTES = 3
"""Quotes kept as evidence per criterion."""
MAX_CLAIMS = 200
"""Claims listed in the details (all of them are checked)."""

DEFAULT_RUBRIC: list[RubricCriterionSpec] = [
    RubricCriterionSpec(
        name="approach",
        title="Approach and model choice",
        description="What was built and why this model over the alternatives considered.",
        keywords=[
            "approach",
            "model",
            "chose",
            "choice",
            "because",
            "why",
            "instead of",
            "rather than",
            "compared",
            "alternative",
            "tried",
            "baseline",
            "pipeline",
            "feature",
        ],
    ),
    RubricCriterionSpec(
        name="data_problems",
        title="Data problems found and how they were handled",
        description="What was wrong with the data, how it was found, and how each problem "
        "was handled (and why).",
        keywords=[
            "duplicate",
            "missing",
            "impute",
            "outlier",
            "inconsistent",
            "spelling",
            "clean",
            "invalid",
            "negative",
            "leak",
            "imbalance",
            "drift",
            "normalise",
            "normalize",
        ],
    ),
    RubricCriterionSpec(
        name="evaluation",
        title="Evaluation method",
        description="How performance was estimated before submitting (validation scheme, "
        "numbers) and how far those numbers can be trusted.",
        keywords=[
            "validation",
            "holdout",
            "cross-validation",
            "k-fold",
            "stratified",
            "test set",
            "split",
            "metric",
            "confidence",
            "out-of-fold",
            "baseline",
            "optimistic",
        ],
    ),
    RubricCriterionSpec(
        name="tradeoffs",
        title="Trade-offs: accuracy against latency and cost",
        description="Accuracy against latency, training cost and complexity; what would "
        "change under a tight latency budget or if accuracy mattered above all.",
        keywords=[
            "trade-off",
            "latency",
            "cost",
            "speed",
            "faster",
            "slower",
            "memory",
            "throughput",
            "complexity",
            "interpretable",
            "explainable",
            "simpler",
            "accuracy",
        ],
    ),
    RubricCriterionSpec(
        name="limitations",
        title="Limitations and failure modes",
        description="Where the model is likely to be wrong, and the risks of using it.",
        keywords=[
            "limitation",
            "risk",
            "fail",
            "wrong",
            "bias",
            "drift",
            "calibrate",
            "overfit",
            "assumption",
            "caveat",
            "break",
            "generalise",
            "generalize",
            "noisy",
            "unseen",
            "not captured",
            "cannot",
            "will not",
            "may not",
        ],
    ),
    RubricCriterionSpec(
        name="next_steps",
        title="What they would do next",
        description="What they would do with more time, and what they would ask the data owners.",
        keywords=[
            "next",
            "future",
            "more time",
            "another day",
            "would",
            "try",
            "ask",
            "investigate",
            "monitor",
            "improve",
            "tune",
        ],
    ),
]

# -- what each default criterion looks for beyond its keywords ----------------------------------

_MODEL_NAMES = (
    r"xgboost|lightgbm|lgbm|catboost|random[\s-]?forests?|gradient[\s-]?boost\w*|"
    r"histgradientboost\w*|hist[\s-]?gbm|gbm|logistic[\s-]?regression|linear[\s-]?regression|"
    r"ridge|lasso|elastic[\s-]?net|svm|support[\s-]vector\w*|k[\s-]?nearest|knn|"
    r"naive[\s-]?bayes|neural[\s-]?net\w*|mlp|decision[\s-]?trees?|extra[\s-]?trees|"
    r"ensembl\w*|stacking|isolation[\s-]?forest"
)


@dataclass(frozen=True)
class _Profile:
    headings: tuple[str, ...] = ()
    """Patterns a section heading may match (besides the criterion's title words)."""
    specifics: tuple[str, ...] = ()
    """Patterns of concrete detail: named methods, operations, measurements."""
    required: str | None = None
    """A pattern the criterion cannot do without; missing caps the score at ``cap``."""
    required_note: str = ""
    cap: float = 1.0
    vague: str | None = None
    """Generic phrases ("more features"): with nothing specific besides, the score is capped."""


_PROFILES: dict[str, _Profile] = {
    "approach": _Profile(
        headings=(
            r"approach",
            r"model(?:l?ing)?\b",
            r"method",
            r"solution",
            r"overview",
            r"summary",
            r"architecture",
            r"design",
            r"what i (?:built|did)",
            r"features?\b",
        ),
        specifics=(
            _MODEL_NAMES,
            r"learning[\s_-]?rate|max[\s_-]?depth|n[\s_-]?estimators|regulari[sz]\w*|"
            r"leaves|hyper[\s-]?param\w*",
            r"one[\s-]?hot|target[\s-]?encod\w*|ordinal[\s-]encod\w*|native[\s-]categorical|"
            r"standardi[sz]\w*|scal(?:ing|er)|log[\s-]transform\w*|interactions?",
        ),
    ),
    "data_problems": _Profile(
        headings=(
            r"data",
            r"clean",
            r"pre[\s-]?process",
            r"quality",
            r"prepar",
            r"wrangl",
            r"\beda\b",
            r"explor",
        ),
        specifics=(
            r"drop_duplicates|duplicated\(\)|isna|isnull|fillna|value_counts|describe\(\)|"
            r"quantile|clip\w*|winsori[sz]\w*|imput\w*|median|indicator|flag",
            r"histograms?|plot\w*|distribution",
        ),
    ),
    "evaluation": _Profile(
        headings=(r"evaluat", r"validat", r"results?", r"metrics?", r"testing", r"performance"),
        specifics=(
            r"\d+[\s-]?fold|k[\s-]?fold",
            r"cross[\s-]?validat\w*|\bcv\b",
            r"hold[\s-]?out",
            r"stratif\w*",
            r"train[\s/-]+(?:test|val\w*)(?:\s+split)?|\b\d{2}\s*/\s*\d{2}\b",
            r"out[\s-]of[\s-]fold|\boof\b",
            r"bootstrap\w*|confidence[\s-]interval|±|\+/-|standard[\s-]deviation|\bstd\b",
            r"time[\s-]based|temporal|out[\s-]of[\s-]time|group[\s-]?k[\s-]?fold|grouped",
            r"roc[\s-]?auc|\bauc\b|accuracy|\bf1\b|rmse|log[\s-]?loss|precision|recall",
            r"calibrat\w*|leak\w*|optimistic",
        ),
        required=(
            r"\d+[\s-]?fold|k[\s-]?fold|cross[\s-]?validat|\bcv\b|hold[\s-]?out|"
            r"validation[\s-](?:set|split|data|fold)|test[\s-](?:set|split)|"
            r"train[\s/-]+(?:test|val)|out[\s-]of[\s-]fold|backtest|bootstrap|"
            r"\b\d{2}\s*/\s*\d{2}\b|\bsplit\b"
        ),
        required_note="no validation method (holdout, cross-validation, test split, ...)",
        cap=0.25,
    ),
    "tradeoffs": _Profile(
        headings=(
            r"trade[\s-]*offs?",
            r"latency",
            r"cost",
            r"speed",
            r"efficien",
            r"serving",
            r"deploy",
            r"production",
            r"complexity",
            r"alternatives?",
        ),
        specifics=(
            r"\d+(?:\.\d+)?\s?(?:ms|µs|us|s|sec|seconds?|minutes?|mb|gb|%|x)\b|\$\s?\d",
            r"\bp50\b|\bp95\b|\bp99\b|latenc\w*",
            r"\bvs\.?|versus|at the cost of|in exchange|rather than|instead of",
            _MODEL_NAMES,
            r"batch|real[\s-]?time|online|nightly|throughput|memory|\bcpu\b|\bgpu\b",
        ),
        required=(
            r"latenc|cost|speed|fast|slow|memory|complex|interpretab|explainab|simpl|"
            r"throughput|\btime\b|\bcpu\b|size"
        ),
        required_note="no resource named (latency, cost, memory, complexity, ...)",
        cap=0.3,
    ),
    "limitations": _Profile(
        headings=(
            r"limitation",
            r"risks?",
            r"caveat",
            r"failure",
            r"weakness",
            r"known[\s-]issues?",
            r"concerns?",
            r"shortcoming",
            r"could go wrong",
            r"assumptions?",
        ),
        specifics=(
            r"calibrat\w*|drift\w*|leak\w*|bias\w*|unseen|new (?:categor\w*|spellings?|values?)|"
            r"cold[\s-]start|overfit\w*|correlational|causal|nois[ey]\w*|small (?:sample|data)\w*|"
            r"extrapolat\w*|fairness|shift",
        ),
    ),
    "next_steps": _Profile(
        headings=(
            r"next",
            r"future",
            r"improvement",
            r"further",
            r"more time",
            r"to[\s-]?do",
            r"roadmap",
            r"follow[\s-]?up",
            r"open questions?",
            r"questions",
        ),
        specifics=(
            _MODEL_NAMES,
            r"calibrat\w*|monitor\w*|a/?b[\s-]test\w*|feature[\s-]store|time[\s-]based|"
            r"data[\s-]owners?|alert\w*|shap|feature[\s-]importance|error[\s-]analysis|"
            r"ablation|isotonic|platt|threshold\w*|retrain\w*|dedup\w*|validation at",
        ),
        vague=(
            r"more features|(?:tune|tuning)(?: the)? hyper[\s-]?param\w*|"
            r"hyper[\s-]?param\w* (?:tuning|search)|try (?:more|other|different) models|"
            r"more models|more data|do more|improve the model|more experiments|further work"
        ),
    ),
}

_NUMBER_TOKEN = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:\s?%|\s?(?:ms|s|mb|gb|x)\b)?", re.I)
_CODE_SPAN = re.compile(r"`([^`\n]{1,60})`")
_HEADING_TEXT = re.compile(r"^\s{0,3}#{1,6}\s*|\s+#+\s*$")
_LABEL = re.compile(
    r"^(?:[-*+]\s+|\d{1,3}[.)]\s+)?(?P<bold>\*\*|__)?(?P<label>[A-Za-z][\w /&'\u2019()-]{1,48}?)"
    r"(?:\*\*|__)?\s*:(?:\*\*|__)?(?:\s|$)"
)
_BOLD_LINE = re.compile(r"^(?:\*\*|__)(?P<label>[^*_\n]{2,50}?)(?:\*\*|__)$")
_STOP_WORDS = {"and", "the", "what", "they", "would", "with", "how", "from", "for", "that"}

# Justification of the model choice: evidence-based, a reason, or only a platitude.
_JUSTIFIED_BY_EVIDENCE = re.compile(
    r"\b(?:tried|compared|comparison|than|rather than|instead of|outperform\w*|beat|versus|"
    r"vs\.?|scored|on (?:my|the) (?:holdout|validation|cv))\b",
    re.I,
)
_JUSTIFIED = re.compile(
    r"\b(?:because|since|as it|why|chose|choose|picked|went with|reason\w*|so that|due to)\b",
    re.I,
)
_PLATITUDE = re.compile(
    r"usually (?:works|the best)|works well (?:on|for) tabular|best (?:choice|model) for tabular|"
    r"state[\s-]of[\s-]the[\s-]art|industry standard|always works",
    re.I,
)
_DISMISSES_EVALUATION = re.compile(
    r"no need (?:to|for) (?:a\s+)?(?:validat|test|evaluat|cross)\w*|"
    r"(?:didn'?t|did not|never|no time to|not) (?:bother(?:ed)? to )?(?:test|validat|evaluat)\w*|"
    r"(?:testing|validation|evaluation|a test set|cross[\s-]validation) "
    r"(?:is|was|isn'?t|wasn'?t)(?: not)? (?:necessary|needed|important|required|worth)|"
    r"(?:testing|validation|evaluation) (?:is|was)n'?t (?:necessary|needed|important)|"
    r"based on (?:similar|other|previous|past) (?:\w+ )?(?:datasets?|data sets?|projects?|"
    r"experience|work)|from (?:my )?experience|"
    r"(?:training|train) (?:set )?(?:accuracy|score|auc|f1|error) (?:was|is|of|=|:)",
    re.I,
)

# -- data problems: how a writeup names each kind of injected problem ---------------------------

DATA_PROBLEM_PATTERNS: dict[str, tuple[str, ...]] = {
    "missing_mcar": (
        r"missing",
        r"\bnulls?\b",
        r"\bnan\b",
        r"imput\w*",
        r"fillna",
        r"isna|isnull",
        r"blank|empty values?",
    ),
    "missing_dependent": (),  # special: missingness *and* what it depends on, see below
    "duplicates_exact": (
        r"duplicat\w*",
        r"de-?dup\w*",
        r"drop_duplicates",
        r"repeated rows?|identical rows?|copies",
    ),
    "duplicates_near": (
        r"near[\s-]?duplicat\w*|fuzzy|almost identical|slightly different",
        r"same (?:`?customer_id`?|id|customer)",
        r"(?:dedup\w*|duplicat\w*|unique) (?:by|per|on) (?:`?\w*_?id`?|customer)",
        r"`?\w*id`?\.duplicated|duplicate (?:ids?|keys?|customers?)",
    ),
    "category_spelling": (
        r"inconsisten\w*",
        r"spelling\w*|misspel\w*|typos?",
        r"casing|lower[\s-]?cas\w*|upper[\s-]?cas\w*|mixed case|case[\s-]insensitive|\.lower\(\)",
        r"whitespace|stray spaces?|\.strip\(\)",
        r"normali[sz]\w* (?:the )?(?:categor\w*|labels?|values?|text|strings?)",
        r"synonyms?|aliases|alias table|canonical|variants?",
    ),
    "outliers": (
        r"outliers?",
        r"clip\w*",
        r"winsori[sz]\w*",
        r"extreme(?![\s-]+gradient)",
        r"\d+\s?x too (?:high|large|big|small)|too (?:high|large|big) by",
        r"very (?:large|high|big)",
        r"capped|capping",
        r"\biqr\b|z[\s-]?scores?",
    ),
    "impossible_values": (
        r"(?<!false )(?<!true )\bnegative\b(?!\s+(?:class|label|sample|example|case|rate)s?\b)",
        r"impossible",
        r"sentinel|placeholder",
        r"\b9{4,}\b",
        r"invalid",
        r"out[\s-]of[\s-]range|implausible|nonsens\w*|physically",
    ),
    "unit_mismatch": (
        r"\bunits?\b",
        r"cents|dollars|currency",
        r"\d+\s?x too (?:high|large|big|small)",
        r"mismatch\w*",
    ),
    "mixed_dates": (
        r"dates?\b[^.]{0,40}\b(?:formats?|pars\w*|inconsisten\w*|mixed)",
        r"(?:formats?|pars\w*|inconsisten\w*|mixed)[^.]{0,40}\bdates?\b",
        r"to_datetime|dd/mm|mm/dd|iso[\s-]?8601|time[\s-]?zones?|utc offsets?",
    ),
    "numbers_as_text": (
        r"(?:numbers?|numeric|values?) (?:stored )?as (?:text|strings?)",
        r"to_numeric|object dtype|dtype",
        r"thousands? separators?|currency symbols?|\$\s?signs?|dollar signs?",
    ),
    "label_noise": (
        r"label[\s-]noise|noisy labels?|labels? (?:look|are|were|seem) noisy",
        r"mislabel\w*|wrong labels?|label quality",
    ),
    "target_leakage": (
        r"leak\w*[^.]{0,60}\b(?:target|labels?|outcome|answer|features?|columns?)\b|"
        r"\b(?:target|label|outcome|feature|column)s?\b[^.]{0,60}\bleak\w*",
        r"too good to be true|suspicious\w*|too predictive",
        r"future information|after the (?:fact|outcome)|post[\s-](?:outcome|cancellation)",
    ),
    "class_imbalance": (
        r"imbalanc\w*",
        r"class[\s_-]?weights?",
        r"minority class|rare class",
        r"over[\s-]?sampl\w*|under[\s-]?sampl\w*|smote|rebalanc\w*",
    ),
    "drift": (
        r"drift\w*",
        r"(?:covariate|distribution|data|dataset) shift",
        r"distributions? (?:differ|change)\w*",
        r"unseen (?:categor\w*|values?|regions?|levels?|spellings?)|new categor\w*|"
        r"(?:spellings?|categor\w*|values?) (?:i have not|i haven'?t|not|never) seen",
    ),
    "schema_drift": (
        r"schema",
        r"renamed columns?|new columns?|missing columns?|extra columns?|column order",
    ),
    # Text and service challenges.
    "outdated": (
        r"outdated|out[\s-]of[\s-]date|stale|superseded|obsolete|deprecated|archived",
        r"(?:old|older|previous|earlier) versions?|newest version|latest version|most recent",
        r"updated_at",
    ),
    "stub": (
        r"\bstubs?\b|placeholders?|empty (?:articles?|pages?|bodies|body)",
        r"(?:short|thin|near[\s-]empty) (?:articles?|pages?)|no (?:real )?content",
    ),
    "boilerplate": (
        r"boiler[\s-]?plate|cookie (?:banners?|notices?)|footers?|breadcrumbs?|navigation text",
        r"was this (?:article )?helpful|related articles",
        r"signatures?|disclaimers?|quoted (?:replies|reply|emails?|threads?|text)|reply chains?",
    ),
    "html": (r"\bhtml\b|markup|\btags?\b|entit(?:y|ies)|&amp;|beautifulsoup|\bbs4\b|unescape",),
    "typo": (
        r"typos?|misspel\w*|spelling (?:errors?|mistakes?)|spell[\s-]?check\w*|fuzzy",
        r"character n-?grams?|char(?:acter)?[\s_-]?(?:level|wb)|edit distance|levenshtein",
    ),
    "typos": (),  # same as "typo", filled in below
    "missing_key_fields": (
        r"missing (?:ids?|keys?|store|product|key fields?)|(?:ids?|keys?) (?:are |is )?missing",
        r"without (?:a |an )?(?:store|product|id)",
        r"required fields?",
    ),
    "garbage_values": (
        r"garbage|unparse?able|cannot be parsed|can'?t be parsed|malformed|corrupt\w*",
        r"invalid (?:dates?|prices?|values?)|non[\s-]?numeric",
    ),
}
DATA_PROBLEM_PATTERNS["typos"] = DATA_PROBLEM_PATTERNS["typo"]
_MISSING_WORDS = re.compile(r"missing|\bnulls?\b|\bnan\b|unanswered|isna|isnull|blank", re.I)
_DEPENDENCY_WORDS = re.compile(
    r"not (?:all |completely )?at random|\bmnar\b|\bmar\b|depend\w*|correlat\w*|informative|"
    r"more (?:often|likely)|less (?:often|likely)|mostly|systematic\w*|is (?:itself )?a signal|"
    r"signal",
    re.I,
)
_PROBLEM_LABELS = {
    "missing_mcar": "missing values",
    "missing_dependent": "missingness that depends on other columns",
    "duplicates_exact": "exact duplicate rows",
    "duplicates_near": "near-duplicate rows",
    "category_spelling": "inconsistent category spellings",
    "outliers": "outliers",
    "impossible_values": "impossible values",
    "unit_mismatch": "unit mismatches",
    "mixed_dates": "mixed date formats",
    "numbers_as_text": "numbers stored as text",
    "label_noise": "label noise",
    "target_leakage": "target leakage",
    "class_imbalance": "class imbalance",
    "drift": "drift between splits",
    "schema_drift": "schema drift",
    "outdated": "outdated versions of documents",
    "stub": "stub or empty documents",
    "boilerplate": "boilerplate text",
    "html": "markup and HTML entities",
    "typo": "typos",
    "typos": "typos",
    "missing_key_fields": "rows missing key fields",
    "garbage_values": "garbage or unparseable values",
}


# -- reading the writeup ------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteupSource:
    """The text of a writeup and where it came from."""

    text: str
    name: str
    """What quotes cite, e.g. ``WRITEUP.md`` or ``analysis.ipynb (markdown cells)``."""
    notes: list[str] = field(default_factory=list)


def writeup_text(context: GradingContext) -> tuple[str, str] | None:
    """The candidate's writeup as ``(text, source name)``, or None if there is none.

    Looks, at the submission root, for the challenge's writeup file (``WRITEUP.md``; the
    case of the name may differ), else ``README.md``, else the markdown cells of a notebook
    (``submission.ipynb`` first). For a notebook the cells are joined with blank lines and
    line numbers count lines of that text. Text past 256 KiB is cut.

    Raises:
        ValueError: the file exists but is refused (a link, not a regular file, over the
            size limit, or a notebook that is not JSON), with the reason.
    """
    source = read_writeup(context.submission.root, context.challenge.spec.contract.writeup)
    return None if source is None else (source.text, source.name)


def read_writeup(root: Path | None, writeup_name: str = "WRITEUP.md") -> WriteupSource | None:
    """Like :func:`writeup_text`, from a submission root, with notes on what was chosen.

    Raises:
        ValueError: as for :func:`writeup_text`.
    """
    if root is None:
        return None
    for candidate in (writeup_name, README_NAME):
        path = _find_entry(root, candidate)
        if path is None:
            continue
        notes = []
        if path.name != Path(candidate).name:
            notes.append(f"read {path.name} for {candidate}")
        if candidate != writeup_name:
            notes.append(f"no {writeup_name}: graded {path.name} instead")
        text, cut = _decode(read_regular_file(path, MAX_READ_BYTES))
        if cut:
            notes.append(f"{path.name} is over {MAX_WRITEUP_BYTES // 1024} KiB; the rest is cut")
        relative = path.relative_to(root).as_posix()
        return WriteupSource(text, relative, notes)
    notebook = _find_notebook(root)
    if notebook is None:
        return None
    markdown = _notebook_markdown(notebook)
    if markdown is None:
        return None
    decoded, cut = _decode(markdown.encode("utf-8"))
    notes = [f"no {writeup_name}: graded the markdown cells of {notebook.name}"]
    if cut:
        notes.append(f"the markdown of {notebook.name} is over {MAX_WRITEUP_BYTES // 1024} KiB")
    return WriteupSource(decoded, f"{notebook.name} (markdown cells)", notes)


def _find_entry(root: Path, name: str) -> Path | None:
    """``root/name`` if it exists (as anything, links included), else a same-named entry in
    another case; None if neither."""
    path = root / name
    if os.path.lexists(path):
        return path
    if "/" in name:
        return None
    try:
        with os.scandir(root) as entries:
            for count, entry in enumerate(entries):
                if count > 10_000:
                    break
                if entry.name.lower() == name.lower():
                    return root / entry.name
    except OSError:
        return None
    return None


def _find_notebook(root: Path) -> Path | None:
    preferred = root / NOTEBOOK_NAME
    if os.path.lexists(preferred):
        return preferred
    try:
        with os.scandir(root) as entries:
            names = sorted(entry.name for entry in entries if entry.name.endswith(".ipynb"))
    except OSError:
        return None
    return root / names[0] if names else None


def _notebook_markdown(path: Path) -> str | None:
    raw = read_regular_file(path, MAX_NOTEBOOK_BYTES)
    try:
        document = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        raise ValueError(f"{path.name} is not a valid notebook (not JSON)") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path.name} is not a valid notebook")
    cells: Any = document.get("cells")
    if cells is None:  # nbformat 3 kept cells in worksheets
        worksheets = document.get("worksheets")
        if isinstance(worksheets, list) and worksheets and isinstance(worksheets[0], dict):
            cells = worksheets[0].get("cells")
    if not isinstance(cells, list):
        return None
    texts = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        if isinstance(source, str) and source.strip():
            texts.append(source.strip("\n"))
    return "\n\n".join(texts) if texts else None


def _decode(raw: bytes) -> tuple[str, bool]:
    cut = len(raw) > MAX_WRITEUP_BYTES
    text = raw[:MAX_WRITEUP_BYTES].decode("utf-8", errors="replace").replace("\x00", "")
    return text, cut


# -- the document -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    title: str
    line: int
    """Line of the heading (or label)."""
    first_line: int
    last_line: int
    """Body lines, inclusive."""
    label: bool
    """An inline label ("Next steps: ...") rather than a heading."""


@dataclass(frozen=True)
class _Document:
    source: str
    blocks: list[Block]
    sections: list[_Section]

    @cached_property
    def _first_lines(self) -> list[int]:
        return [block.first_line for block in self.blocks]

    def blocks_in(self, section: _Section) -> range:
        """Indices of the blocks in the section's body (blocks are in line order)."""
        first_lines = self._first_lines
        return range(
            bisect.bisect_left(first_lines, section.first_line),
            bisect.bisect_right(first_lines, section.last_line),
        )


def _parse(text: str, source: str) -> _Document:
    """Sections of the writeup: headings (``#`` or underlined), lines that are only a bold
    title or a short "Title:", each running to the next one; and inline labels
    ("Next steps: try ...", "- **Latency:** ...") covering their own paragraph."""
    blocks = split_blocks(text)
    titles: list[tuple[Block, str, bool]] = []
    labels: list[_Section] = []
    for block in blocks:
        if block.kind == "heading":
            titles.append((block, _HEADING_TEXT.sub("", block.text).strip(" *_#:"), False))
            continue
        if block.kind not in ("paragraph", "item"):
            continue
        bold = _BOLD_LINE.match(block.text)
        if bold is not None and block.kind == "paragraph" and len(block.starts) == 1:
            titles.append((block, bold.group("label").strip(" :"), True))
            continue
        label = _LABEL.match(block.text)
        if label is None or len(label.group("label").split()) > 6:
            continue
        if block.kind == "item" and not label.group("bold"):
            continue  # "- The model is correlational: ..." is a sentence, not a title
        name = label.group("label").strip()
        if block.text.rstrip(" *_").endswith(":") and len(block.starts) == 1:
            titles.append((block, name, True))  # "Evaluation:" alone on its line
        else:
            labels.append(_Section(name, block.first_line, block.first_line, block.last_line, True))
    total_lines = max(len(text.splitlines()), 1)
    sections = []
    for index, (block, title, pseudo) in enumerate(titles):
        # A heading runs to the next heading; a bold or "Title:" line runs to the next title
        # of any kind, nested inside its heading's section rather than cutting it short.
        later = [
            other for other, _, other_pseudo in titles[index + 1 :] if pseudo or not other_pseudo
        ]
        end = later[0].first_line - 1 if later else total_lines
        sections.append(_Section(title, block.first_line, block.last_line + 1, end, pseudo))
    return _Document(source, blocks, sections + labels)


# -- scoring one criterion ----------------------------------------------------------------------


def _phrase(keyword: str) -> re.Pattern[str]:
    """A keyword as a forgiving pattern: any of space, hyphen or underscore between words,
    any ending ("trade-off" finds "tradeoffs"; "calibrate" finds "calibration")."""
    words = [word for word in re.split(r"[\s_-]+", keyword.strip().lower()) if word]
    if len(words) == 1:
        words = [_stem(words[0])]
    words = [re.escape(word) for word in words]
    return re.compile(r"(?<![a-z])" + r"[\s_-]*".join(words) + r"\w*", re.I)


_SUFFIXES = (
    *("ations", "ation", "ability", "ibility", "able", "ible", "ities", "ity", "acy"),
    *("ness", "ing", "ied", "ies", "ed", "es", "s", "e", "y"),
)


def _stem(word: str) -> str:
    """Cut one common ending, keeping at least five letters: "explainable" -> "explain",
    "accuracy" -> "accur", "stratified" -> "stratif"; "missing" stays whole."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            return word[: -len(suffix)]
    return word


@dataclass
class _Hit:
    block: Block
    offset: int
    what: str
    specific: bool


@dataclass
class CriterionAnalysis:
    """How one rubric criterion was scored: everything the score rests on."""

    name: str
    title: str
    weight: float
    score: float = 0.0
    sections: list[dict[str, Any]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    specifics: list[str] = field(default_factory=list)
    words: int = 0
    components: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quotes: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "weight": self.weight,
            "score": self.score,
            "sections": self.sections,
            "keywords": self.keywords,
            "specifics": self.specifics,
            "words": self.words,
            "components": self.components,
            "missing": self.missing,
            "notes": self.notes,
        }

    def explanation(self) -> str:
        found = []
        if self.sections:
            found.append(
                "section "
                + ", ".join(f"'{item['title']}' (line {item['line']})" for item in self.sections)
            )
        if self.keywords:
            found.append("keywords: " + ", ".join(self.keywords[:8]))
        if self.specifics:
            found.append("specifics: " + ", ".join(self.specifics[:8]))
        text = "found " + ("; ".join(found) if found else "nothing")
        if self.missing:
            text += ". Missing: " + "; ".join(self.missing)
        if self.notes:
            text += ". " + "; ".join(self.notes)
        return text


def _heading_matches(title: str, criterion: RubricCriterionSpec) -> bool:
    profile = _PROFILES.get(criterion.name)
    lowered = title.lower()
    patterns = list(profile.headings) if profile else []
    if profile is None:
        words = [word for word in re.findall(r"[a-z]+", criterion.title.lower()) if len(word) >= 4]
        patterns += [re.escape(word) for word in words if word not in _STOP_WORDS]
        patterns += [_phrase(keyword).pattern for keyword in criterion.keywords]
    return any(re.search(pattern, lowered) for pattern in patterns)


def _analyse_criterion(
    document: _Document, criterion: RubricCriterionSpec
) -> tuple[CriterionAnalysis, list[_Hit]]:
    profile = _PROFILES.get(criterion.name, _Profile())
    analysis = CriterionAnalysis(criterion.name, criterion.title, criterion.weight)
    keyword_patterns = [(keyword, _phrase(keyword)) for keyword in criterion.keywords]

    selected: set[int] = set()
    heading_credit = 0.0
    for section in document.sections:
        if not _heading_matches(section.title, criterion):
            continue
        body = [
            index
            for index in document.blocks_in(section)
            if document.blocks[index].kind != "heading"
        ]
        words = sum(len(document.blocks[index].text.split()) for index in body)
        if words < 3:
            continue  # a title with nothing under it ("# Churn model") is not a section
        heading_credit = max(heading_credit, 0.5 if section.label else 1.0)
        if len(analysis.sections) < 10:
            analysis.sections.append({"title": section.title[:80], "line": section.line})
        selected.update(body)
    scope = [document.blocks[index] for index in sorted(selected)]
    if not scope:
        fallback = [pattern for _, pattern in keyword_patterns]
        if criterion.name == "approach":
            fallback.append(re.compile(_MODEL_NAMES, re.I))  # "I used XGBoost." is an approach
        scope = [
            block
            for block in document.blocks
            if block.kind != "heading" and any(pattern.search(block.text) for pattern in fallback)
        ]
        if scope:
            analysis.notes.append(
                "no section of its own: read the paragraphs that use its keywords"
            )

    hits: list[_Hit] = []
    keywords: dict[str, None] = {}
    specifics: dict[str, None] = {}
    for block in scope:
        for keyword, pattern in keyword_patterns:
            found = pattern.search(block.text)
            if found:
                keywords.setdefault(keyword)
                hits.append(_Hit(block, found.start(), keyword, False))
        for specific in profile.specifics:
            for found in re.finditer(specific, block.text, re.I):
                specifics.setdefault(found.group(0).lower().strip())
                hits.append(_Hit(block, found.start(), found.group(0), True))
        text = block.text if block.kind != "item" else re.sub(r"^\s*\d{1,3}[.)]\s", "", block.text)
        for found in _NUMBER_TOKEN.finditer(text):
            specifics.setdefault(found.group(0).lower())
            hits.append(
                _Hit(block, found.start() + len(block.text) - len(text), found.group(0), True)
            )
        for found in _CODE_SPAN.finditer(block.text):
            specifics.setdefault(f"`{found.group(1)}`")
            hits.append(_Hit(block, found.start(), found.group(0), True))
    analysis.keywords = list(keywords)
    analysis.specifics = list(specifics)
    analysis.words = sum(len(block.text.split()) for block in scope)
    scope_text = "\n".join(block.text for block in scope)

    components = {
        "heading": heading_credit,
        "keywords": min(1.0, len(keywords) / 3),
        "specifics": min(1.0, len(specifics) / 4),
        "substance": min(1.0, analysis.words / 60),
    }
    score = (
        0.2 * components["heading"]
        + 0.25 * components["keywords"]
        + 0.35 * components["specifics"]
        + 0.2 * components["substance"]
    )
    if heading_credit == 0:
        analysis.missing.append("no section for it")
    if len(keywords) < 2:
        analysis.missing.append("few of its keywords")
    if not specifics:
        analysis.missing.append("nothing specific (numbers, named methods, identifiers)")
    if scope and analysis.words < 25:
        analysis.missing.append(f"very short ({analysis.words} words)")

    if criterion.name == "approach" and scope:
        justification, note = _justification(scope_text)
        components["justification"] = justification
        score = 0.75 * score + 0.25 * justification
        if note:
            (analysis.missing if justification == 0 else analysis.notes).append(note)
    if profile.required is not None and not re.search(profile.required, scope_text, re.I):
        if score > profile.cap:
            analysis.notes.append(f"capped at {profile.cap:g}")
        score = min(score, profile.cap)
        analysis.missing.append(profile.required_note)
    if profile.vague is not None and scope:
        vague = re.findall(profile.vague, scope_text, re.I)
        named = [hit for hit in hits if hit.specific and not _NUMBER_TOKEN.fullmatch(hit.what)]
        if vague and not named:
            cap = 0.35
            score = min(score, cap)
            analysis.missing.append(
                f"only generic plans ({', '.join(dict.fromkeys(v.lower() for v in vague))})"
            )
    analysis.components = {name: round(value, 3) for name, value in components.items()}
    analysis.score = round(max(0.0, min(1.0, score)), 4) if scope else 0.0
    if not scope:
        analysis.missing = ["not addressed anywhere"]
    analysis.quotes = _quotes(hits, document.source)
    return analysis, hits


def _justification(text: str) -> tuple[float, str]:
    if _JUSTIFIED_BY_EVIDENCE.search(text):
        return 1.0, ""
    platitude = _PLATITUDE.search(text)
    if platitude:
        return 0.25, f"the reason given is generic ('{platitude.group(0)}')"
    if _JUSTIFIED.search(text):
        return 0.5, "a reason is given but no comparison with alternatives"
    return 0.0, "no reason given for the model choice"


def _quotes(hits: Sequence[_Hit], source: str) -> list[Evidence]:
    def rank(hit: _Hit) -> tuple[bool, bool, int, int]:
        short = len(hit.block.sentence_at(hit.offset)) < 30  # "Why boosting:" proves little
        return (short, not hit.specific, hit.block.first_line, hit.offset)

    ordered = sorted(hits, key=rank)
    quotes: list[Evidence] = []
    seen: set[str] = set()
    for hit in ordered:
        sentence, line = hit.block.quote_at(hit.offset)
        if sentence in seen or len(sentence) < 3:
            continue
        seen.add(sentence)
        quotes.append(Evidence(kind="quote", text=sentence, source=f"{source}:{line}"))
        if len(quotes) == MAX_QUOTES:
            break
    return sorted(quotes, key=lambda quote: int((quote.source or ":0").rsplit(":", 1)[1]))


# -- data problems ------------------------------------------------------------------------------


def injected_problems(data_card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The distinct kinds of problem in a data card, in the order first injected; a kind
    injected into several splits or columns is one problem."""
    problems: dict[str, dict[str, Any]] = {}
    injections = data_card.get("injections")
    for injection in injections if isinstance(injections, list) else []:
        if not isinstance(injection, dict) or not isinstance(injection.get("kind"), str):
            continue
        kind = injection["kind"]
        problem = problems.setdefault(
            kind, {"kind": kind, "splits": [], "columns": [], "depends_on": []}
        )
        split = injection.get("split")
        if isinstance(split, str) and split not in problem["splits"]:
            problem["splits"].append(split)
        columns = injection.get("columns")
        for column in columns if isinstance(columns, list) else []:
            if isinstance(column, str) and column not in problem["columns"]:
                problem["columns"].append(column)
        params = injection.get("params")
        depends_on = params.get("depends_on") if isinstance(params, dict) else None
        if isinstance(depends_on, str) and depends_on not in problem["depends_on"]:
            problem["depends_on"].append(depends_on)
    return list(problems.values())


def _problem_matcher(problem: Mapping[str, Any]) -> Callable[[str], re.Match[str] | None]:
    kind = problem["kind"]
    if kind == "missing_dependent":
        columns = [
            re.escape(column).replace(r"\_", "[\\s_-]").replace("_", "[\\s_-]")
            for column in problem.get("depends_on", [])
        ]
        context = re.compile(
            "|".join([_DEPENDENCY_WORDS.pattern, *(rf"\b{column}\b" for column in columns)]), re.I
        )

        def dependent(text: str) -> re.Match[str] | None:
            missing = _MISSING_WORDS.search(text)
            return missing if missing and context.search(text) else None

        return dependent
    patterns = DATA_PROBLEM_PATTERNS.get(kind) or (r"\s+".join(kind.split("_")),)
    if kind == "target_leakage":
        # Naming the leaked column counts only with what was done about it: "the strongest
        # feature is cancellation_ticket_open" is falling for the leak, not noticing it.
        leaked = "|".join(re.escape(column) for column in problem.get("columns", []))
        if leaked:
            patterns = (
                *patterns,
                rf"(?:drop\w*|remov\w*|exclud\w*|ignor\w*)[^.]{{0,60}}(?:{leaked})|"
                rf"(?:{leaked})[^.]{{0,60}}(?:dropped|removed|excluded|ignored)",
            )
    combined = re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.I)
    return combined.search


def _data_problems(
    document: _Document, problems: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    results = []
    for problem in problems:
        matcher = _problem_matcher(problem)
        splits = list(problem.get("splits", []))
        evidence, source = "", None
        for block in document.blocks:
            found = matcher(block.text)
            if found is not None:
                evidence, line = block.quote_at(found.start())
                source = f"{document.source}:{line}"
                break
        results.append(
            {
                "kind": problem["kind"],
                "label": _PROBLEM_LABELS.get(problem["kind"], problem["kind"].replace("_", " ")),
                "noticed": source is not None,
                "evidence": evidence,
                "source": source,
                "splits": splits,
                "columns": problem.get("columns", []),
                "hidden_only": bool(splits) and "train" not in splits,
            }
        )
    return results


# -- red flags ----------------------------------------------------------------------------------


def _claim_flags(checks: Sequence[ClaimCheck], source: str) -> list[str]:
    """One flag per over-claimed quantity: the largest over-claim, with both numbers."""
    worst: dict[str, ClaimCheck] = {}
    counts: dict[str, int] = {}
    for check in checks:
        if check.verdict != "over-claim":
            continue
        quantity = check.claim.quantity
        counts[quantity] = counts.get(quantity, 0) + 1
        current = worst.get(quantity)
        if current is None or abs(check.relative_difference or 0) > abs(
            current.relative_difference or 0
        ):
            worst[quantity] = check
    flags = []
    for quantity, check in worst.items():
        flag = check.red_flag(source)
        if flag is None:
            continue
        if counts[quantity] > 1:
            flag += f" (and {counts[quantity] - 1} more over-claims of {quantity})"
        flags.append(flag)
    return flags


def _dismissal(document: _Document) -> str | None:
    for block in document.blocks:
        found = _DISMISSES_EVALUATION.search(block.text)
        if found is not None:
            sentence, line = block.quote_at(found.start())
            return f"'{sentence}' ({document.source}:{line})"
    return None


# -- the grader ---------------------------------------------------------------------------------


def _rubric(context: GradingContext) -> list[RubricCriterionSpec]:
    return list(context.challenge.spec.rubric) or list(DEFAULT_RUBRIC)


def _weighted(scores: Mapping[str, float], rubric: Sequence[RubricCriterionSpec]) -> float:
    total = sum(criterion.weight for criterion in rubric)
    if total <= 0:
        return 0.0
    return sum(scores[criterion.name] * criterion.weight for criterion in rubric) / total


def _zero(summary: str, flag: str, details: dict[str, Any]) -> GradeResult:
    return GradeResult(
        grader=NAME,
        score=0.0,
        weight=0.0,
        summary=summary,
        criteria=[
            Criterion(
                name="writeup present", score=0.0, evidence=[Evidence(kind="text", text=summary)]
            )
        ],
        details=details,
        flags=[flag],
    )


@grader(NAME)
def writeup(
    judge: Mapping[str, Any] | bool | None = None, bootstrap: int = BOOTSTRAP_RESAMPLES
) -> Grader:
    """Score the writeup against the rubric, check its numeric claims, and optionally ask an
    LLM judge for a second opinion (shown, never counted).

    Args:
        judge: LLM judge settings (see ``graders.llm_judge.judge_config``); by default the
            environment decides, and the judge is off unless ``HARNESS_JUDGE_BASE_URL`` is set.
        bootstrap: Bootstrap resamples for the measured metric's confidence interval; the
            same value as the correctness grader's shares its measurements.
    """
    config: JudgeConfig | None = None
    config_error: str | None = None
    try:
        config = judge_config(judge)
    except JudgeConfigError as error:
        config_error = str(error)

    def grade(context: GradingContext) -> GradeResult:
        rubric = _rubric(context)
        expected = context.challenge.spec.contract.writeup
        details: dict[str, Any] = {"source": None, "rubric": [], "data_problems": [], "claims": []}
        try:
            source = read_writeup(context.submission.root, expected)
        except ValueError as error:
            details["refused"] = str(error)
            return _zero(f"{expected} refused: {error}", f"writeup refused: {error}", details)
        if source is None:
            return _zero(
                f"no writeup: {expected} is missing (no README.md or notebook either)",
                "no writeup",
                details,
            )
        details["source"] = source.name
        details["notes"] = source.notes
        if not source.text.strip():
            return _zero(f"{source.name} is empty", "no writeup (the file is empty)", details)

        document = _parse(source.text, source.name)
        analyses = {
            criterion.name: _analyse_criterion(document, criterion)[0] for criterion in rubric
        }

        try:
            problems = injected_problems(context.data.data_card())
        except (OSError, ValueError) as error:
            problems = []
            details["data_card_error"] = f"{type(error).__name__}: {error}"
        noticed: list[dict[str, Any]] = _data_problems(document, problems)
        details["data_problems"] = noticed
        if "data_problems" in analyses and noticed:
            _score_data_problems(analyses["data_problems"], noticed)

        claims = extract_claims(source.text)
        try:
            figures = measure(context, bootstrap).figures()
        except Exception as error:  # a measurement problem must not cost the writeup grade
            figures = {}
            details["measure_error"] = f"{type(error).__name__}: {error}"
        directions = {name: metric.higher_is_better for name, metric in METRICS.items()}
        checks = compare_claims(claims, figures, directions)
        details["claims"] = [check.to_dict() for check in checks[:MAX_CLAIMS]]
        if len(checks) > MAX_CLAIMS:
            details["claims_not_shown"] = len(checks) - MAX_CLAIMS

        flags = _claim_flags(checks, source.name)
        evaluation = analyses.get("evaluation")
        if evaluation is not None and evaluation.score <= 0.3:
            dismissal = _dismissal(document)
            if dismissal:
                flags.append(f"dismisses evaluation: {dismissal}")
        limitations = analyses.get("limitations")
        if limitations is not None and limitations.score < 0.1:
            flags.append("no limitations discussed")
        approach = analyses.get("approach")
        if approach is not None and approach.components.get("justification") == 0:
            flags.append("does not explain the model choice")

        scores = {name: analysis.score for name, analysis in analyses.items()}
        score = round(_weighted(scores, rubric), 4)
        details["rubric"] = [analysis.to_dict() for analysis in analyses.values()]
        criteria = [
            Criterion(
                name=analysis.name,
                score=analysis.score,
                evidence=[*analysis.quotes, Evidence(kind="text", text=analysis.explanation())],
            )
            for analysis in analyses.values()
        ]

        addressed = sum(1 for value in scores.values() if value >= ADDRESSED)
        parts = [f"{source.name}: {addressed}/{len(rubric)} rubric criteria addressed"]
        if noticed:
            counted = _counted_problems(noticed)
            named = sum(1 for item in counted if item["noticed"])
            parts.append(f"{named}/{len(counted)} injected data problems named")
        over = sum(1 for check in checks if check.verdict == "over-claim")
        if checks:
            parts.append(f"{len(checks)} numeric claims ({over} over-claimed)")

        judged = _judge(config, config_error, rubric, source, scores)
        details["llm_judge"] = judged.details
        criteria += judged.criteria
        if judged.summary:
            parts.append(judged.summary)
        return GradeResult(
            grader=NAME,
            score=score,
            weight=0.0,
            summary=", ".join(parts),
            criteria=criteria,
            details=details,
            flags=flags,
        )

    return grade


def _counted_problems(noticed: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Problems the candidate could have seen: those injected into the training data.
    Problems only in the hidden evaluation data (e.g. drift) are listed, not counted."""
    visible = [item for item in noticed if not item["hidden_only"]]
    return visible or list(noticed)


def _score_data_problems(analysis: CriterionAnalysis, noticed: Sequence[Mapping[str, Any]]) -> None:
    """The data-problems score is the share of injected problems the writeup names."""
    counted = _counted_problems(noticed)
    named = [item for item in counted if item["noticed"]]
    analysis.score = round(len(named) / len(counted), 4)
    analysis.components = {**analysis.components, "share_named": analysis.score}
    analysis.missing = [
        f"not mentioned: {item['label']}" for item in counted if not item["noticed"]
    ]
    analysis.notes = [f"score = {len(named)} of {len(counted)} injected problems named"]
    hidden = [item for item in noticed if item not in counted]
    if hidden:
        analysis.notes.append(
            "only in the hidden data, so not counted: "
            + ", ".join(
                f"{item['label']} ({'named' if item['noticed'] else 'not named'})"
                for item in hidden
            )
        )
    analysis.quotes = [
        Evidence(kind="quote", text=f"{item['label']}: {item['evidence']}", source=item["source"])
        for item in noticed
        if item["noticed"]
    ]


@dataclass
class _Judged:
    details: dict[str, Any]
    criteria: list[Criterion] = field(default_factory=list)
    summary: str = ""


def _judge(
    config: JudgeConfig | None,
    config_error: str | None,
    rubric: Sequence[RubricCriterionSpec],
    source: WriteupSource,
    deterministic: Mapping[str, float],
) -> _Judged:
    if config_error is not None:
        return _Judged({"status": "error", "error": f"judge configuration: {config_error}"})
    if config is None:
        return _Judged({"status": "off"})
    result: JudgeResult = run_judge(config, rubric, source.text)
    details: dict[str, Any] = {**result.to_dict(), "counted": False}
    if result.status != "ok":
        return _Judged(details, summary=f"LLM judge failed ({result.error})")
    judge_score = result.score(rubric)
    details["score"] = None if judge_score is None else round(judge_score, 4)
    details["deterministic_score"] = round(_weighted(deterministic, rubric), 4)
    details["disagreements"] = [
        {"name": item.name, "judge": item.score, "deterministic": deterministic[item.name]}
        for item in result.criteria
        if abs(item.score - deterministic[item.name]) >= 0.4
    ]
    criteria = [
        Criterion(
            name=f"llm: {item.name}",
            score=item.score,
            evidence=[
                *(
                    Evidence(kind="quote", text=quote.text, source=f"{source.name}:{quote.line}")
                    for quote in item.quotes
                ),
                Evidence(
                    kind="text",
                    text=f"LLM judge ({result.model}), not counted in the score; trust "
                    f"{item.trust:.0%}: {item.note}",
                ),
            ],
        )
        for item in result.criteria
    ]
    shown = "n/a" if judge_score is None else f"{judge_score:.2f}"
    return _Judged(details, criteria, f"LLM judge {shown} (shown, not counted)")


__all__ = [
    "DATA_PROBLEM_PATTERNS",
    "DEFAULT_RUBRIC",
    "NAME",
    "CriterionAnalysis",
    "WriteupSource",
    "injected_problems",
    "read_writeup",
    "writeup",
    "writeup_text",
]
