"""Composable, seeded injectors that make clean tables look like real-world data.

Each injector takes a DataFrame, a ``numpy.random.Generator`` and a :class:`DataCard`,
returns a new DataFrame (the input is never modified) and records what it did in the
card. Injectors draw every random number from the generator they are given, so the same
input and seed give the same output, and they compose by chaining::

    card = DataCard()
    train = missing_completely_at_random(train, rng, card, columns=["region"], rate=0.05)
    train = duplicates_exact(train, rng, card, rate=0.02)
    card.to_dict()  # {"injections": [{"kind": "missing_mcar", ...}, ...]}

Adding a kind: add a ``KIND`` constant, write the function with the signature
``(frame, rng, card, *, ...) -> DataFrame`` and decorate it with ``@injector(KIND)``.
The registry :data:`INJECTORS` then lets recipes name it as a string.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

MISSING_MCAR = "missing_mcar"
MISSING_DEPENDENT = "missing_dependent"
DUPLICATES_EXACT = "duplicates_exact"
DUPLICATES_NEAR = "duplicates_near"
CATEGORY_SPELLING = "category_spelling"
OUTLIERS = "outliers"
IMPOSSIBLE_VALUES = "impossible_values"

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
Injector: TypeAlias = Callable[..., pd.DataFrame]

INJECTORS: dict[str, Injector] = {}
"""Injector functions by kind, filled by :func:`injector`."""


def injector(kind: str) -> Callable[[Injector], Injector]:
    """Register an injector function under a stable kind name.

    Args:
        kind: The string recorded in the data card, e.g. ``"missing_mcar"``.

    Raises:
        ValueError: another injector already uses ``kind``.
    """

    def register(function: Injector) -> Injector:
        if kind in INJECTORS:
            raise ValueError(f"injector kind {kind!r} is registered twice")
        INJECTORS[kind] = function
        return function

    return register


@dataclass(frozen=True)
class Injection:
    """One recorded injection: what was done, where, and to how many rows."""

    kind: str
    """Stable kind name, one of the module's constants."""
    columns: list[str]
    """Columns the injection changed (for duplicates: the columns that were perturbed)."""
    rows_affected: int
    """Rows changed, or rows added for duplicate kinds."""
    params: dict[str, JsonValue]
    """The arguments the injector was called with, as plain JSON values."""
    description: str
    """A short sentence for humans, e.g. "37 exact duplicate rows"."""
    split: str | None = None
    """Which split of the data the injection applies to (e.g. "train"), when known."""

    def to_dict(self) -> dict[str, JsonValue]:
        """Return the injection as a JSON-ready dict (``split`` only when set)."""
        record: dict[str, JsonValue] = {
            "kind": self.kind,
            "columns": list(self.columns),
            "rows_affected": self.rows_affected,
            "params": self.params,
            "description": self.description,
        }
        if self.split is not None:
            record["split"] = self.split
        return record


@dataclass
class DataCard:
    """The record of every injection applied to a data set.

    A card made with :meth:`for_split` shares its list of injections with the card it came
    from, so one card can describe several splits.
    """

    injections: list[Injection] = field(default_factory=list)
    """Injections in the order they were applied."""
    split: str | None = None
    """Split name stamped on every injection recorded through this card."""

    def for_split(self, split: str) -> DataCard:
        """Return a card that records into the same list, labelling injections with ``split``."""
        return DataCard(injections=self.injections, split=split)

    def record(
        self,
        kind: str,
        columns: Sequence[str],
        rows_affected: int,
        params: Mapping[str, Any],
        description: str,
    ) -> Injection:
        """Append an injection; ``params`` are converted to plain JSON values."""
        injection = Injection(
            kind=kind,
            columns=list(columns),
            rows_affected=int(rows_affected),
            params={key: to_json_value(value) for key, value in params.items()},
            description=description,
            split=self.split,
        )
        self.injections.append(injection)
        return injection

    def kinds(self) -> list[str]:
        """Distinct kinds recorded, in the order first applied."""
        return list(dict.fromkeys(injection.kind for injection in self.injections))

    def to_dict(self) -> dict[str, JsonValue]:
        """Return ``{"injections": [...]}``, ready for ``json.dumps``."""
        return {"injections": [injection.to_dict() for injection in self.injections]}


def to_json_value(value: Any) -> JsonValue:
    """Convert numpy scalars, tuples and mappings to plain JSON values.

    Raises:
        TypeError: the value has no JSON form.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if np.isnan(value) else value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return to_json_value(float(value))
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Index | pd.Series):
        return [to_json_value(item) for item in value]
    raise TypeError(f"{type(value).__name__} value {value!r} has no JSON form")


# --- helpers -------------------------------------------------------------------------


def _check_rate(name: str, rate: float) -> None:
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {rate}")


def _check_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {', '.join(missing)}")


def _choose(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """Pick ``round(rate * eligible.sum())`` of the eligible rows; returns a boolean mask.

    An exact count (rather than a coin flip per row) keeps descriptions and tests stable.
    """
    positions = np.flatnonzero(eligible)
    count = round(rate * len(positions))
    chosen = np.zeros(len(eligible), dtype=bool)
    if count:
        chosen[rng.choice(positions, size=count, replace=False)] = True
    return chosen


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- missing values ------------------------------------------------------------------


@injector(MISSING_MCAR)
def missing_completely_at_random(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    columns: Sequence[str],
    rate: float,
) -> pd.DataFrame:
    """Blank out values completely at random.

    Each column independently loses ``rate`` of its present values. Integer columns
    become float columns (pandas has no missing value for plain integers).

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        columns: Columns to blank values in.
        rate: Fraction of each column's present values to blank, in [0, 1].

    Returns:
        A new frame with the same index and columns.
    """
    _check_rate("rate", rate)
    _check_columns(frame, columns)
    result = frame.copy()
    touched = np.zeros(len(frame), dtype=bool)
    cells = 0
    for column in columns:
        chosen = _choose(rng, result[column].notna().to_numpy(), rate)
        result[column] = result[column].mask(chosen)
        touched |= chosen
        cells += int(chosen.sum())
    card.record(
        MISSING_MCAR,
        columns,
        int(touched.sum()),
        {"columns": list(columns), "rate": rate, "cells_affected": cells},
        f"{_plural(cells, 'value')} removed at random from {_plural(len(columns), 'column')} "
        f"({_plural(int(touched.sum()), 'row')})",
    )
    return result


@injector(MISSING_DEPENDENT)
def missing_dependent(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    columns: Sequence[str],
    depends_on: str,
    rate: float,
    base_rate: float = 0.0,
    above_quantile: float | None = None,
    equals: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Blank out values more often in rows where another column meets a condition.

    This models data that is missing for a reason (missing at random given
    ``depends_on``): for example survey answers missing mostly for inactive customers.
    Give exactly one condition, ``above_quantile`` or ``equals``.

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        columns: Columns to blank values in.
        depends_on: The column whose value drives missingness; it is not changed.
        rate: Fraction of present values blanked in rows meeting the condition.
        base_rate: Fraction of present values blanked in the other rows.
        above_quantile: Condition: ``depends_on`` is above this quantile (e.g. 0.75) of
            its present values. Needs a numeric column.
        equals: Condition: ``depends_on`` equals one of these values.

    Returns:
        A new frame with the same index and columns.

    Raises:
        ValueError: not exactly one condition is given, or a rate is outside [0, 1].
    """
    _check_rate("rate", rate)
    _check_rate("base_rate", base_rate)
    _check_columns(frame, [*columns, depends_on])
    if (above_quantile is None) == (equals is None):
        raise ValueError("give exactly one of above_quantile and equals")
    driver = frame[depends_on]
    params: dict[str, Any] = {
        "columns": list(columns),
        "depends_on": depends_on,
        "rate": rate,
        "base_rate": base_rate,
    }
    if above_quantile is not None:
        _check_rate("above_quantile", above_quantile)
        threshold = float(driver.quantile(above_quantile))
        condition = (driver > threshold).fillna(False).to_numpy(dtype=bool)
        params.update(above_quantile=above_quantile, threshold=threshold)
        condition_text = f"{depends_on} above {threshold:g}"
    else:
        assert equals is not None  # narrowed by the check above
        condition = driver.isin(list(equals)).to_numpy(dtype=bool)
        params["equals"] = list(equals)
        condition_text = f"{depends_on} in {list(equals)}"
    result = frame.copy()
    touched = np.zeros(len(frame), dtype=bool)
    cells = 0
    for column in columns:
        present = result[column].notna().to_numpy()
        chosen = _choose(rng, present & condition, rate)
        chosen |= _choose(rng, present & ~condition, base_rate)
        result[column] = result[column].mask(chosen)
        touched |= chosen
        cells += int(chosen.sum())
    params["cells_affected"] = cells
    card.record(
        MISSING_DEPENDENT,
        columns,
        int(touched.sum()),
        params,
        f"{_plural(cells, 'value')} removed from {_plural(int(touched.sum()), 'row')}, "
        f"mostly where {condition_text} ({rate:.0%} there, {base_rate:.0%} elsewhere)",
    )
    return result


# --- duplicates ----------------------------------------------------------------------


@injector(DUPLICATES_EXACT)
def duplicates_exact(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    rate: float,
) -> pd.DataFrame:
    """Append exact copies of randomly chosen rows (as from a double export).

    Args:
        frame: The table to copy rows from.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        rate: Number of copies as a fraction of the rows, in [0, 1]; each row is copied
            at most once.

    Returns:
        A new frame with the copies appended at the end and a fresh ``RangeIndex``.
        Shuffle afterwards if the copies should not sit together.
    """
    _check_rate("rate", rate)
    chosen = _choose(rng, np.ones(len(frame), dtype=bool), rate)
    copies = frame.iloc[np.flatnonzero(chosen)]
    result = pd.concat([frame, copies], ignore_index=True)
    count = len(copies)
    card.record(
        DUPLICATES_EXACT,
        [],
        count,
        {"rate": rate},
        f"{_plural(count, 'exact duplicate row')}",
    )
    return result


@injector(DUPLICATES_NEAR)
def duplicates_near(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    rate: float,
    numeric_columns: Sequence[str] = (),
    text_columns: Sequence[str] = (),
    relative_noise: float = 0.02,
    decimals: int | None = 2,
) -> pd.DataFrame:
    """Append copies of rows that differ slightly from the original.

    Each copy gets exactly one change, in a column chosen at random among the given
    columns that are present in that row: a numeric value moves by between half and all
    of ``relative_noise`` (relative, up or down; integer columns move by at least 1), or a
    text value gains stray whitespace. The copy never equals its original.

    Args:
        frame: The table to copy rows from.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        rate: Number of copies as a fraction of the rows, in [0, 1].
        numeric_columns: Numeric columns that may be nudged.
        text_columns: Text columns that may gain whitespace.
        relative_noise: Largest relative change of a numeric value, e.g. 0.02 for 2%.
        decimals: Round nudged float values to this many decimals (None: no rounding).

    Returns:
        A new frame with the copies appended at the end and a fresh ``RangeIndex``.

    Raises:
        ValueError: no columns are given, a numeric column is not numeric, or a text
            column is numeric.
    """
    _check_rate("rate", rate)
    columns = [*numeric_columns, *text_columns]
    if not columns:
        raise ValueError("give at least one of numeric_columns and text_columns")
    _check_columns(frame, columns)
    for column in numeric_columns:
        if not _is_numeric(frame[column]):
            raise ValueError(f"numeric_columns: {column!r} is not numeric")
    for column in text_columns:
        if _is_numeric(frame[column]):
            raise ValueError(f"text_columns: {column!r} is numeric; list it in numeric_columns")
    present = frame[columns].notna().to_numpy()
    chosen = _choose(rng, present.any(axis=1), rate)
    positions = np.flatnonzero(chosen)
    copies = frame.iloc[positions].copy()
    changed_columns: list[str] = []
    # Plain Python lists of new values per column, assigned once at the end: keeps dtypes
    # predictable across pandas versions (no setitem upcasting).
    new_values = {column: copies[column].tolist() for column in columns}
    for row, position in enumerate(positions):
        options = [column for index, column in enumerate(columns) if present[position, index]]
        column = options[int(rng.integers(len(options)))]
        original = new_values[column][row]
        if column in numeric_columns:
            new_values[column][row] = _nudge(rng, original, relative_noise, decimals)
        else:
            new_values[column][row] = _add_whitespace(rng, str(original))
        changed_columns.append(column)
    for column in columns:
        copies[column] = pd.Series(new_values[column], index=copies.index).astype(
            _widened_dtype(frame[column], new_values[column])
        )
    result = pd.concat([frame, copies], ignore_index=True)
    count = len(copies)
    card.record(
        DUPLICATES_NEAR,
        sorted(set(changed_columns), key=columns.index),
        count,
        {
            "rate": rate,
            "numeric_columns": list(numeric_columns),
            "text_columns": list(text_columns),
            "relative_noise": relative_noise,
            "decimals": decimals,
            "changes_per_column": {column: changed_columns.count(column) for column in columns},
        },
        f"{_plural(count, 'near-duplicate row')} (one value nudged or re-spaced per copy)",
    )
    return result


def _nudge(
    rng: np.random.Generator, value: Any, relative_noise: float, decimals: int | None
) -> Any:
    sign = 1.0 if rng.random() < 0.5 else -1.0
    if float(value) == 0:  # a relative change of zero is zero: step up, never below zero
        sign = 1.0
    change = sign * float(rng.uniform(relative_noise / 2, relative_noise)) * abs(float(value))
    if isinstance(value, int | np.integer):
        return int(value) + int(sign * max(1, round(abs(change))))
    nudged = float(value) + change
    if decimals is not None:
        nudged = round(nudged, decimals)
        if nudged == float(value):  # the change vanished in rounding: move one unit instead
            nudged = round(float(value) + sign * 10.0**-decimals, decimals)
    elif nudged == float(value):
        nudged = float(value) + sign * max(abs(float(value)) * 1e-6, 1e-9)
    return nudged


def _add_whitespace(rng: np.random.Generator, text: str) -> str:
    choice = int(rng.integers(3))
    if choice == 0:
        return text + " "
    if choice == 1:
        return " " + text
    return text.replace(" ", "  ", 1) if " " in text else text + "  "


def _widened_dtype(original: pd.Series, values: list[Any]) -> Any:
    """The original dtype, or float64 when integer values became fractional.

    Categorical columns become object columns: the new spellings are not categories.
    """
    if isinstance(original.dtype, pd.CategoricalDtype):
        return object
    if pd.api.types.is_integer_dtype(original) and any(
        isinstance(value, float) and not value.is_integer() for value in values
    ):
        return "float64"
    return original.dtype


# --- categories ----------------------------------------------------------------------


def spelling_variants(value: str) -> list[str]:
    """Casing and whitespace variants of a category value, for :func:`category_spelling`.

    ``spelling_variants("Pro")`` gives ``["pro", "PRO", "Pro ", " Pro"]``; variants equal
    to the value itself are left out.
    """
    candidates = [value.lower(), value.upper(), value + " ", " " + value]
    if " " in value:
        candidates.append(value.replace(" ", "  "))
    return [candidate for candidate in dict.fromkeys(candidates) if candidate != value]


@injector(CATEGORY_SPELLING)
def category_spelling(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    variants: Mapping[str, Sequence[str]],
    rate: float,
) -> pd.DataFrame:
    """Replace canonical category values by inconsistent spellings, casing or spacing.

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: The categorical column.
        variants: Canonical value -> the variants it may be replaced by (e.g.
            ``{"Enterprise": ["enterprise", "Enterprize", "Enterprise "]}``); see
            :func:`spelling_variants`. Values not listed are left alone.
        rate: Fraction of rows holding a listed value that get a variant (chosen
            uniformly among that value's variants).

    Returns:
        A new frame with the same index and columns.

    Raises:
        ValueError: a variant equals its canonical value, or a value has no variants.
    """
    _check_rate("rate", rate)
    _check_columns(frame, [column])
    for canonical, options in variants.items():
        if not options:
            raise ValueError(f"variants[{canonical!r}] is empty")
        if canonical in options:
            raise ValueError(f"variants[{canonical!r}] contains the canonical value itself")
    values = frame[column].tolist()
    dtype = frame[column].dtype
    if isinstance(dtype, pd.CategoricalDtype):  # variants are not categories: fall back to text
        dtype = object
    listed = [isinstance(value, str) and value in variants for value in values]
    eligible = np.array(listed, dtype=bool)
    chosen = _choose(rng, eligible, rate)
    for position in np.flatnonzero(chosen):
        options = variants[values[position]]
        values[position] = options[int(rng.integers(len(options)))]
    result = frame.copy()
    result[column] = pd.Series(values, index=frame.index, dtype=dtype)
    count = int(chosen.sum())
    card.record(
        CATEGORY_SPELLING,
        [column],
        count,
        {
            "column": column,
            "variants": {key: list(options) for key, options in variants.items()},
            "rate": rate,
        },
        f"{_plural(count, 'value')} of {column} respelled (casing, whitespace or typos)",
    )
    return result


# --- outliers and impossible values --------------------------------------------------


@injector(OUTLIERS)
def outliers(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    rate: float,
    factor: float,
) -> pd.DataFrame:
    """Multiply some values by a large factor (a unit mix-up, an extra digit).

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: A numeric column.
        rate: Fraction of the column's non-zero present values to multiply.
        factor: The multiplier, e.g. 100 for cents recorded as dollars.

    Returns:
        A new frame with the same index and columns (an integer column becomes float
        when ``factor`` is fractional).

    Raises:
        ValueError: the column is not numeric or ``factor`` is 1.
    """
    _check_rate("rate", rate)
    _check_columns(frame, [column])
    if not _is_numeric(frame[column]):
        raise ValueError(f"column {column!r} is not numeric")
    if factor == 1:
        raise ValueError("factor 1 would change nothing")
    series = frame[column]
    chosen = _choose(rng, (series.notna() & (series != 0)).to_numpy(), rate)
    result = frame.copy()
    result[column] = series.where(~chosen, series * factor)
    count = int(chosen.sum())
    card.record(
        OUTLIERS,
        [column],
        count,
        {"column": column, "rate": rate, "factor": factor},
        f"{_plural(count, 'value')} of {column} multiplied by {factor:g}",
    )
    return result


@injector(IMPOSSIBLE_VALUES)
def impossible_values(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    rate: float,
    sentinel: float | None = None,
) -> pd.DataFrame:
    """Replace some values by ones that cannot be true.

    With ``sentinel`` the value becomes a placeholder such as 99999 or -1 (a system's
    way of saying "unknown"); without it the value is negated (a negative age or
    spend). Only present values are changed, and only positive ones when negating.

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: A numeric column.
        rate: Fraction of the eligible values to replace.
        sentinel: The placeholder value; None negates instead.

    Returns:
        A new frame with the same index and columns.

    Raises:
        ValueError: the column is not numeric.
    """
    _check_rate("rate", rate)
    _check_columns(frame, [column])
    if not _is_numeric(frame[column]):
        raise ValueError(f"column {column!r} is not numeric")
    series = frame[column]
    eligible = series.notna() if sentinel is not None else series > 0
    chosen = _choose(rng, eligible.fillna(False).to_numpy(dtype=bool), rate)
    replacement = series * -1 if sentinel is None else sentinel
    result = frame.copy()
    result[column] = series.where(~chosen, replacement)
    count = int(chosen.sum())
    what = "negated" if sentinel is None else f"set to the sentinel {sentinel:g}"
    card.record(
        IMPOSSIBLE_VALUES,
        [column],
        count,
        {
            "column": column,
            "rate": rate,
            "sentinel": sentinel,
            "mode": "negate" if sentinel is None else "sentinel",
        },
        f"{_plural(count, 'value')} of {column} {what}",
    )
    return result


KINDS: tuple[str, ...] = tuple(INJECTORS)
"""The built-in kinds, in definition order."""

__all__ = [
    "CATEGORY_SPELLING",
    "DUPLICATES_EXACT",
    "DUPLICATES_NEAR",
    "IMPOSSIBLE_VALUES",
    "INJECTORS",
    "KINDS",
    "MISSING_DEPENDENT",
    "MISSING_MCAR",
    "OUTLIERS",
    "DataCard",
    "Injection",
    "Injector",
    "JsonValue",
    "category_spelling",
    "duplicates_exact",
    "duplicates_near",
    "impossible_values",
    "injector",
    "missing_completely_at_random",
    "missing_dependent",
    "outliers",
    "spelling_variants",
    "to_json_value",
]
