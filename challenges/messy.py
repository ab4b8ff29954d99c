"""Composable, seeded injectors that make clean tables look like real-world data.

Each injector takes a DataFrame, a ``numpy.random.Generator`` and a :class:`DataCard`,
returns a new DataFrame (the input is never modified) and records what it did in the
card. Injectors draw every random number from the generator they are given, so the same
input and seed give the same output, and they compose by chaining::

    card = DataCard()
    train = missing_completely_at_random(train, rng, card, columns=["region"], rate=0.05)
    train = duplicates_exact(train, rng, card, rate=0.02)
    card.to_dict()  # {"injections": [{"kind": "missing_mcar", ...}, ...], "problems": [...]}

The catalogue, by kind: missing values completely at random or depending on another column
(``missing_mcar``, ``missing_dependent``), exact and near duplicates, inconsistent category
spellings, values in another unit for rows from one source (``unit_mismatch``), outliers,
impossible values, dates in mixed formats and time zones (``mixed_dates``), numbers stored
as text (``numbers_as_text``), flipped labels (``label_noise``), a column that leaks the
target (``target_leakage``), a downsampled class (``class_imbalance``), a shifted
distribution (``drift``) and renamed, reordered or extra columns (``schema_drift``). The
last two are meant for hidden data: they describe how it differs from the public data.

Injectors are vectorised (no Python loop per row), so a chain over a million rows takes
seconds; ``bench/datagen.py`` measures it. For the same reason a returned frame shares the
arrays of the columns it did not change with the input: with pandas copy-on-write (the
default from pandas 3) that is invisible; with older pandas, do not write into either
frame in place (``frame.loc[...] = ...``).

Adding a kind: add a ``KIND`` constant, write the function with the signature
``(frame, rng, card, *, ...) -> DataFrame`` and decorate it with ``@injector(KIND)``.
The registry :data:`INJECTORS` then lets recipes name it as a string.
"""

from __future__ import annotations

import re
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
UNIT_MISMATCH = "unit_mismatch"
MIXED_DATES = "mixed_dates"
NUMBERS_AS_TEXT = "numbers_as_text"
LABEL_NOISE = "label_noise"
TARGET_LEAKAGE = "target_leakage"
CLASS_IMBALANCE = "class_imbalance"
DRIFT = "drift"
SCHEMA_DRIFT = "schema_drift"

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
    rows: pd.Index | None = field(default=None, compare=False, repr=False)
    """Index labels of the affected rows in the frame the injector returned (rows added, for
    duplicates). Not part of the JSON card: generators use it to build evaluation slices."""

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
        rows: pd.Index | None = None,
    ) -> Injection:
        """Append an injection; ``params`` are converted to plain JSON values."""
        injection = Injection(
            kind=kind,
            columns=list(columns),
            rows_affected=int(rows_affected),
            params={key: to_json_value(value) for key, value in params.items()},
            description=description,
            split=self.split,
            rows=rows,
        )
        self.injections.append(injection)
        return injection

    def kinds(self) -> list[str]:
        """Distinct kinds recorded, in the order first applied."""
        return list(dict.fromkeys(injection.kind for injection in self.injections))

    def affected_rows(self, *kinds: str) -> pd.Index:
        """Index labels of the rows that injections of ``kinds`` affected, sorted.

        Only injections recorded for this card's split count (all of them when the card
        has no split). Labels stay meaningful as long as later injectors keep the index,
        which all do except the duplicate kinds (they append) and ``class_imbalance``
        (it drops rows).
        """
        labels = [
            injection.rows
            for injection in self.injections
            if injection.kind in kinds
            and injection.rows is not None
            and (self.split is None or injection.split == self.split)
        ]
        if not labels:
            return pd.Index([])
        union = labels[0]
        for more in labels[1:]:
            union = union.union(more)
        return union.sort_values()

    def problems(self) -> list[dict[str, JsonValue]]:
        """One summary per kind, in the order first applied: the splits and columns it
        touched, the rows affected per split and how many injections it took."""
        splits: dict[str, dict[str, int]] = {}
        columns: dict[str, dict[str, None]] = {}
        counts: dict[str, int] = {}
        for injection in self.injections:
            rows = splits.setdefault(injection.kind, {})
            split = injection.split or "all"
            rows[split] = rows.get(split, 0) + injection.rows_affected
            columns.setdefault(injection.kind, {}).update(dict.fromkeys(injection.columns))
            counts[injection.kind] = counts.get(injection.kind, 0) + 1
        return [
            {
                "kind": kind,
                "splits": list(rows),
                "columns": list(columns[kind]),
                "rows_affected": dict(rows),
                "injections": counts[kind],
            }
            for kind, rows in splits.items()
        ]

    def to_dict(self) -> dict[str, JsonValue]:
        """Return ``{"injections": [...], "problems": [...]}``, ready for ``json.dumps``."""
        problems: list[JsonValue] = list(self.problems())
        return {
            "injections": [injection.to_dict() for injection in self.injections],
            "problems": problems,
        }


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
    return _choose_count(rng, eligible, round(rate * int(np.count_nonzero(eligible))))


def _choose_count(rng: np.random.Generator, eligible: np.ndarray, count: int) -> np.ndarray:
    """Pick ``count`` of the eligible rows at random; returns a boolean mask."""
    positions = np.flatnonzero(eligible)
    chosen = np.zeros(len(eligible), dtype=bool)
    if count:
        chosen[rng.choice(positions, size=count, replace=False)] = True
    return chosen


def _check_condition(frame: pd.DataFrame, where: Mapping[str, Sequence[Any]] | None) -> np.ndarray:
    """Rows where every ``column -> allowed values`` condition holds (all rows for None)."""
    condition = np.ones(len(frame), dtype=bool)
    if where is None:
        return condition
    _check_columns(frame, list(where))
    for column, allowed in where.items():
        condition &= frame[column].isin(list(allowed)).to_numpy(dtype=bool)
    return condition


def _copy(frame: pd.DataFrame) -> pd.DataFrame:
    """A new frame that shares the column arrays with ``frame``.

    Injectors only ever replace whole columns of the copy (``result[column] = ...``, which
    never writes into the old array) or add columns, so the input stays untouched; a deep
    copy would cost a pass over every column of a million-row table per injector.
    """
    return frame.copy(deep=False)


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
    jointly: bool = False,
) -> pd.DataFrame:
    """Blank out values completely at random.

    Each column independently loses ``rate`` of its present values; with ``jointly`` the
    same rows lose all the columns at once instead, as when a join to another system
    failed for those rows. Integer columns become float columns (pandas has no missing
    value for plain integers).

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        columns: Columns to blank values in.
        rate: Fraction of each column's present values to blank, in [0, 1]; with
            ``jointly``, fraction of the rows holding any of the columns.
        jointly: Blank all the columns in the same rows.

    Returns:
        A new frame with the same index and columns.
    """
    _check_rate("rate", rate)
    _check_columns(frame, columns)
    result = _copy(frame)
    touched = np.zeros(len(frame), dtype=bool)
    cells = 0
    if jointly:
        touched = _choose(rng, frame[list(columns)].notna().any(axis=1).to_numpy(), rate)
    for column in columns:
        present = result[column].notna().to_numpy()
        chosen = touched & present if jointly else _choose(rng, present, rate)
        result[column] = result[column].mask(chosen)
        touched |= chosen
        cells += int(chosen.sum())
    params = {"columns": list(columns), "rate": rate, "jointly": jointly, "cells_affected": cells}
    how = "together" if jointly else "at random"
    card.record(
        MISSING_MCAR,
        columns,
        int(touched.sum()),
        params,
        f"{_plural(cells, 'value')} removed {how} from {_plural(len(columns), 'column')} "
        f"({_plural(int(touched.sum()), 'row')})",
        rows=frame.index[touched],
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
    result = _copy(frame)
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
        rows=frame.index[touched],
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
        rows=result.index[len(frame) :],
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
    # One change per copy, in a column drawn uniformly among the copy's present ones.
    draws = rng.random((len(positions), len(columns)))
    draws[~present[positions]] = -1.0
    targets = draws.argmax(axis=1)
    changes_per_column: dict[str, int] = {}
    for index, column in enumerate(columns):
        at = np.flatnonzero(targets == index)
        changes_per_column[column] = len(at)
        values = copies[column]
        if isinstance(values.dtype, pd.CategoricalDtype):  # new spellings are not categories
            values = values.astype(object)
        else:
            values = values.copy()
        if not len(at):
            copies[column] = values
            continue
        if column in numeric_columns:
            new = _nudge(
                rng,
                values.iloc[at].to_numpy(dtype="float64"),
                pd.api.types.is_integer_dtype(values),
                relative_noise,
                decimals,
            )
            if pd.api.types.is_integer_dtype(values):
                new = new.astype(np.int64)
        else:
            new = _add_whitespace(rng, values.iloc[at].astype(str).to_numpy(dtype=str))
        values.iloc[at] = new
        copies[column] = values
    result = pd.concat([frame, copies], ignore_index=True)
    count = len(copies)
    card.record(
        DUPLICATES_NEAR,
        [column for column in columns if changes_per_column[column]],
        count,
        {
            "rate": rate,
            "numeric_columns": list(numeric_columns),
            "text_columns": list(text_columns),
            "relative_noise": relative_noise,
            "decimals": decimals,
            "changes_per_column": changes_per_column,
        },
        f"{_plural(count, 'near-duplicate row')} (one value nudged or re-spaced per copy)",
        rows=result.index[len(frame) :],
    )
    return result


def _nudge(
    rng: np.random.Generator,
    values: np.ndarray,
    integer: bool,
    relative_noise: float,
    decimals: int | None,
) -> np.ndarray:
    """Move each value by between half and all of ``relative_noise``, up or down.

    Zero only moves up (a relative change of zero is zero); integers move by at least 1;
    a change that vanishes in rounding becomes one unit of the last decimal instead.
    """
    sign = np.where(rng.random(len(values)) < 0.5, 1.0, -1.0)
    sign[values == 0] = 1.0
    change = sign * rng.uniform(relative_noise / 2, relative_noise, len(values)) * np.abs(values)
    if integer:
        moved: np.ndarray = values + sign * np.maximum(1.0, np.round(np.abs(change)))
        return moved
    nudged: np.ndarray = values + change
    if decimals is not None:
        nudged = np.round(nudged, decimals)
        same = nudged == values
        nudged[same] = np.round(values[same] + sign[same] * 10.0**-decimals, decimals)
    else:
        same = nudged == values
        nudged[same] = values[same] + sign[same] * np.maximum(np.abs(values[same]) * 1e-6, 1e-9)
    return nudged


def _add_whitespace(rng: np.random.Generator, texts: np.ndarray) -> np.ndarray:
    """Append or prepend a space, or double the first inner space (append two without one)."""
    choice = rng.integers(3, size=len(texts))
    doubled = np.where(
        np.char.find(texts, " ") >= 0,
        np.char.replace(texts, " ", "  ", count=1),
        np.char.add(texts, "  "),
    )
    spaced = np.where(choice == 0, np.char.add(texts, " "), np.char.add(" ", texts))
    result: np.ndarray = np.where(choice == 2, doubled, spaced).astype(object)
    return result


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
    values = frame[column].to_numpy(dtype=object, copy=True)
    dtype = frame[column].dtype
    if isinstance(dtype, pd.CategoricalDtype):  # variants are not categories: fall back to text
        dtype = object
    eligible = frame[column].isin(list(variants)).to_numpy(dtype=bool)
    chosen = _choose(rng, eligible, rate)
    positions = np.flatnonzero(chosen)
    originals = values[positions]
    for canonical, options in variants.items():  # one vectorised draw per canonical value
        at = positions[originals == canonical]
        picks = rng.integers(len(options), size=len(at))
        values[at] = np.array(list(options), dtype=object)[picks]
    result = _copy(frame)
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
        rows=frame.index[chosen],
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
    result = _copy(frame)
    result[column] = series.where(~chosen, series * factor)
    count = int(chosen.sum())
    card.record(
        OUTLIERS,
        [column],
        count,
        {"column": column, "rate": rate, "factor": factor},
        f"{_plural(count, 'value')} of {column} multiplied by {factor:g}",
        rows=frame.index[chosen],
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
    result = _copy(frame)
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
        rows=frame.index[chosen],
    )
    return result


# --- units and formats ---------------------------------------------------------------


@injector(UNIT_MISMATCH)
def unit_mismatch(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    columns: Sequence[str],
    factor: float,
    rate: float,
    from_unit: str | None = None,
    to_unit: str | None = None,
    source_column: str | None = None,
    source: str = "secondary",
    default_source: str = "primary",
    decimals: int | None = None,
) -> pd.DataFrame:
    """Express some rows in another unit, as when one source system reports differently.

    A share of the rows (chosen at random: the rows "from the other source") has every
    given column multiplied by ``factor``: 100 for dollars reported as cents, 0.001 for
    grams reported as kilograms. Unlike :func:`outliers`, whole rows of a source share the
    unit, and ``source_column`` can say where each row came from, the way a real export
    often does.

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        columns: Numeric columns that share the unit (e.g. spend and price).
        factor: The multiplier into the other unit; must not be 1 or 0.
        rate: Fraction of all rows that come from the other source, in [0, 1].
        from_unit: The unit of the clean data, for the record (e.g. "USD").
        to_unit: The unit of the other source, for the record (e.g. "cents").
        source_column: If given, a new text column appended to the frame that holds
            ``source`` for the converted rows and ``default_source`` for the others.
        source: Name of the other source, written in ``source_column``.
        default_source: Name of the usual source, written in ``source_column``.
        decimals: Round converted values to this many decimals (None: no rounding), so
            that e.g. ``0.29 * 100`` is written as ``29.0`` rather than ``28.999999999999996``.

    Returns:
        A new frame with the same index; ``source_column`` appended when given. An
        integer column becomes float when ``factor`` is fractional.

    Raises:
        ValueError: a column is not numeric, ``factor`` is 0 or 1, or ``source_column``
            already exists.
    """
    _check_rate("rate", rate)
    _check_columns(frame, columns)
    if not columns:
        raise ValueError("give at least one column")
    for column in columns:
        if not _is_numeric(frame[column]):
            raise ValueError(f"column {column!r} is not numeric")
    if factor in (0, 1):
        raise ValueError(f"factor {factor:g} would not be a unit conversion")
    if source_column is not None and source_column in frame.columns:
        raise ValueError(f"source_column {source_column!r} is already a column")
    chosen = _choose(rng, np.ones(len(frame), dtype=bool), rate)
    result = _copy(frame)
    cells = 0
    for column in columns:
        series = frame[column]
        converted = series * factor
        if decimals is not None:
            converted = converted.round(decimals)
        result[column] = series.where(~chosen, converted)
        cells += int((chosen & series.notna().to_numpy()).sum())
    if source_column is not None:
        result[source_column] = np.array([default_source, source], dtype=object)[
            chosen.view(np.int8)
        ]
    count = int(chosen.sum())
    units = f" ({from_unit or 'original unit'} -> {to_unit or 'other unit'})"
    card.record(
        UNIT_MISMATCH,
        [*columns, *([source_column] if source_column is not None else [])],
        count,
        {
            "columns": list(columns),
            "factor": factor,
            "rate": rate,
            "from_unit": from_unit,
            "to_unit": to_unit,
            "source_column": source_column,
            "source": source,
            "default_source": default_source,
            "decimals": decimals,
            "cells_affected": cells,
        },
        f"{_plural(count, 'row')} from source {source!r} with {', '.join(columns)} multiplied "
        f"by {factor:g}{units}",
        rows=frame.index[chosen],
    )
    return result


_OFFSET_PATTERN = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _offset_minutes(offset: str) -> int:
    match = _OFFSET_PATTERN.match(offset)
    if match is None:
        raise ValueError(f"offsets: {offset!r} is not of the form +HH:MM or -HH:MM")
    sign = 1 if match.group(1) == "+" else -1
    hours, minutes = int(match.group(2)), int(match.group(3))
    if hours > 14 or minutes >= 60:
        raise ValueError(f"offsets: {offset!r} is not a UTC offset")
    return sign * (hours * 60 + minutes)


def _render_dates(values: pd.Series, date_format: str, suffix: str = "") -> np.ndarray:
    """``values.dt.strftime(date_format) + suffix``, rendering each distinct value once."""
    codes, uniques = pd.factorize(values)
    rendered = np.array([text + suffix for text in pd.DatetimeIndex(uniques).strftime(date_format)])
    result: np.ndarray = rendered.astype(object)[codes]
    return result


@injector(MIXED_DATES)
def mixed_dates(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    formats: Sequence[str],
    rate: float,
    offsets: Sequence[str] = (),
    offset_rate: float = 0.0,
    offset_format: str = "%Y-%m-%dT%H:%M:%S",
) -> pd.DataFrame:
    """Render a date column as text in several formats, some with UTC offsets.

    The column must hold datetimes (naive ones are read as UTC). Every present value
    becomes text: ``offset_rate`` of them are converted to a local time at one of
    ``offsets`` and written with ``offset_format`` followed by the offset (e.g.
    ``2024-03-01T19:00:00-05:00``, which is March 2 in UTC); ``rate`` of them are written
    in one of ``formats[1:]``; the rest in the canonical ``formats[0]``. Each alternative
    is chosen uniformly. Prefer formats that can be told apart (``%m/%d/%Y`` next to
    ``%d.%m.%Y``, not next to ``%d/%m/%Y``) unless ambiguity is the point.

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: A datetime column.
        formats: ``strftime`` formats; the first is the canonical one.
        rate: Fraction of present values written in a non-canonical format.
        offsets: UTC offsets such as ``"+05:30"`` or ``"-05:00"``.
        offset_rate: Fraction of present values written as local time with an offset;
            ``rate + offset_rate`` must not exceed 1.
        offset_format: ``strftime`` format of the local time before the offset.

    Returns:
        A new frame with the same index and columns; the column holds text (missing
        values stay missing).

    Raises:
        ValueError: the column does not hold datetimes, an offset is malformed, rates are
            out of range, or alternatives are requested but none are given.
    """
    _check_rate("rate", rate)
    _check_rate("offset_rate", offset_rate)
    _check_columns(frame, [column])
    if rate + offset_rate > 1:
        raise ValueError(f"rate + offset_rate must not exceed 1, got {rate + offset_rate}")
    if not formats:
        raise ValueError("give at least the canonical format")
    if rate > 0 and len(formats) < 2:
        raise ValueError("rate > 0 needs at least one format besides the canonical one")
    if offset_rate > 0 and not offsets:
        raise ValueError("offset_rate > 0 needs at least one offset")
    minutes = [_offset_minutes(offset) for offset in offsets]
    series = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(series):
        raise ValueError(f"column {column!r} does not hold datetimes")
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    present = series.notna().to_numpy()
    with_offset = _choose(rng, present, offset_rate)
    other_format = _choose_count(rng, present & ~with_offset, round(rate * int(present.sum())))
    format_choice = np.zeros(len(frame), dtype=np.int64)
    format_choice[other_format] = 1 + rng.integers(len(formats) - 1, size=int(other_format.sum()))
    offset_choice = np.full(len(frame), -1, dtype=np.int64)
    offset_choice[with_offset] = rng.integers(max(len(offsets), 1), size=int(with_offset.sum()))

    text = np.full(len(frame), np.nan, dtype=object)
    rows_per_format: dict[str, int] = {}
    for index, date_format in enumerate(formats):
        at = present & (format_choice == index) & ~with_offset
        rows_per_format[date_format] = int(at.sum())
        if at.any():
            text[at] = _render_dates(series[at], date_format)
    rows_per_offset: dict[str, int] = {}
    for index, (offset, shift) in enumerate(zip(offsets, minutes, strict=True)):
        at = offset_choice == index
        rows_per_offset[offset] = int(at.sum())
        if at.any():
            local = series[at] + pd.Timedelta(minutes=shift)
            text[at] = _render_dates(local, offset_format, offset)
    result = _copy(frame)
    result[column] = pd.Series(text, index=frame.index, dtype=object)
    changed = other_format | with_offset
    count = int(changed.sum())
    card.record(
        MIXED_DATES,
        [column],
        count,
        {
            "column": column,
            "formats": list(formats),
            "rate": rate,
            "offsets": list(offsets),
            "offset_rate": offset_rate,
            "offset_format": offset_format,
            "rows_per_format": rows_per_format,
            "rows_per_offset": rows_per_offset,
        },
        f"{_plural(count, 'date')} of {column} not in the canonical format {formats[0]!r} "
        f"({int(with_offset.sum())} as local time with a UTC offset)",
        rows=frame.index[changed],
    )
    return result


def _format_numbers(
    values: np.ndarray, decimals: int, thousands_separator: str, decimal_separator: str
) -> np.ndarray:
    """Vectorised ``format(value, ",.2f")`` with configurable separators."""
    scale = 10**decimals
    units = np.round(np.abs(values.astype("float64")) * scale).astype(np.int64)
    whole, fraction = np.divmod(units, scale)
    groups = max(1, -(-len(str(int(whole.max(initial=0)))) // 3))
    text = np.char.zfill((whole % 1000).astype(str), 3)
    for group in range(1, groups):
        leading = np.char.zfill(((whole // 1000**group) % 1000).astype(str), 3)
        text = np.char.add(np.char.add(leading, thousands_separator), text)
    # Zero-padded groups lose their leading zeros (and separators): "001,234" -> "1,234".
    text = np.char.lstrip(text, "0" + thousands_separator)
    text = np.where(text == "", "0", text)
    if decimals:
        digits = np.char.zfill(fraction.astype(str), decimals)
        text = np.char.add(np.char.add(text, decimal_separator), digits)
    negative = (values < 0) & (units > 0)
    result: np.ndarray = np.where(negative, np.char.add("-", text), text)
    return result


@injector(NUMBERS_AS_TEXT)
def numbers_as_text(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    rate: float,
    decimals: int = 2,
    thousands_separator: str = ",",
    decimal_separator: str = ".",
    symbols: Sequence[str] = ("",),
) -> pd.DataFrame:
    """Store some numbers as formatted text: thousands separators, currency symbols.

    ``rate`` of the present values become strings such as ``"1,234.50"`` or
    ``"-$1,234.50"`` (the sign goes before the symbol); the others stay numbers, so the
    column ends up mixing both, as in a spreadsheet export. A CSV reader then sees text.

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: A numeric column.
        rate: Fraction of present values written as text.
        decimals: Digits after the decimal separator (0 for counts).
        thousands_separator: Between groups of three digits, e.g. ``","``, ``"."``, ``" "``.
        decimal_separator: Before the decimals, e.g. ``"."`` or ``","``.
        symbols: Prefixes chosen uniformly per value, e.g. ``("", "$")``; ``""`` means none.

    Returns:
        A new frame with the same index and columns; the column has object dtype.

    Raises:
        ValueError: the column is not numeric, the separators are equal, or no symbol
            is given.
    """
    _check_rate("rate", rate)
    _check_columns(frame, [column])
    if not _is_numeric(frame[column]):
        raise ValueError(f"column {column!r} is not numeric")
    if thousands_separator == decimal_separator:
        raise ValueError("thousands_separator and decimal_separator must differ")
    if not symbols:
        raise ValueError('give at least one symbol ("" for none)')
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    series = frame[column]
    chosen = _choose(rng, series.notna().to_numpy(), rate)
    values = series.to_numpy(dtype=object, na_value=np.nan, copy=True)
    if chosen.any():
        numbers = series[chosen].to_numpy(dtype="float64")
        text = _format_numbers(numbers, decimals, thousands_separator, decimal_separator)
        prefixes = np.array(list(symbols))[rng.integers(len(symbols), size=len(numbers))]
        signs = np.where(np.char.startswith(text, "-"), "-", "")
        digits = np.char.lstrip(text, "-")
        values[chosen] = np.char.add(np.char.add(signs, prefixes), digits).astype(object)
    result = _copy(frame)
    result[column] = pd.Series(values, index=frame.index, dtype=object)
    count = int(chosen.sum())
    card.record(
        NUMBERS_AS_TEXT,
        [column],
        count,
        {
            "column": column,
            "rate": rate,
            "decimals": decimals,
            "thousands_separator": thousands_separator,
            "decimal_separator": decimal_separator,
            "symbols": list(symbols),
        },
        f"{_plural(count, 'value')} of {column} stored as text with separators or symbols",
        rows=frame.index[chosen],
    )
    return result


# --- labels --------------------------------------------------------------------------


def _classes(series: pd.Series) -> list[Any]:
    present: list[Any] = series.dropna().unique().tolist()
    try:
        return sorted(present)
    except TypeError:  # mixed types: keep the order of first appearance
        return present


@injector(LABEL_NOISE)
def label_noise(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    rate: float | None = None,
    class_rates: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """Flip some labels to another class, uniformly or more for some classes.

    Binary labels flip to the other class; with more classes the new label is drawn
    uniformly among the others. Class-dependent noise models e.g. cancellations that
    reach the CRM late: churners recorded as retained more often than the reverse.

    Args:
        frame: The table to copy and damage.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: The label column.
        rate: Fraction of every class's labels to flip.
        class_rates: Class -> fraction of that class's labels to flip; classes not
            listed keep their labels. Give exactly one of ``rate`` and ``class_rates``.

    Returns:
        A new frame with the same index, columns and dtypes.

    Raises:
        ValueError: not exactly one of ``rate`` and ``class_rates``, fewer than two
            classes, or a listed class is not in the column.
    """
    _check_columns(frame, [column])
    if (rate is None) == (class_rates is None):
        raise ValueError("give exactly one of rate and class_rates")
    series = frame[column]
    classes = _classes(series)
    if len(classes) < 2:
        raise ValueError(f"column {column!r} has fewer than two classes")
    rates = dict.fromkeys(classes, rate) if rate is not None else dict(class_rates or {})
    for label, label_rate in rates.items():
        if label not in classes:
            raise ValueError(f"class_rates: {label!r} is not a class of {column!r}")
        _check_rate(f"rate of class {label!r}", float(label_rate or 0.0))
    values = series.to_numpy(copy=True)
    class_array = np.array(classes, dtype=values.dtype if values.dtype != object else object)
    flipped = np.zeros(len(frame), dtype=bool)
    flips: dict[str, int] = {}
    for position, label in enumerate(classes):
        if label not in rates:
            continue
        chosen = _choose(rng, (series == label).to_numpy(dtype=bool), float(rates[label] or 0.0))
        # Draw among the other classes: a draw at or past the own position skips it.
        draws = rng.integers(len(classes) - 1, size=int(chosen.sum()))
        values[chosen] = class_array[draws + (draws >= position)]
        flipped |= chosen
        flips[str(label)] = int(chosen.sum())
    result = _copy(frame)
    result[column] = pd.Series(values, index=frame.index, dtype=series.dtype)
    count = int(flipped.sum())
    card.record(
        LABEL_NOISE,
        [column],
        count,
        {"column": column, "rate": rate, "class_rates": class_rates, "flipped_per_class": flips},
        f"{_plural(count, 'label')} of {column} flipped to another class",
        rows=frame.index[flipped],
    )
    return result


@injector(TARGET_LEAKAGE)
def target_leakage(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    target: str,
    column: str,
    positive: Any = 1,
    true_positive_rate: float = 0.7,
    false_positive_rate: float = 0.02,
) -> pd.DataFrame:
    """Add a 0/1 column that gives the target away: information from after the outcome.

    The flag is set for ``true_positive_rate`` of the rows whose target is ``positive`` and
    for ``false_positive_rate`` of the others, like "cancellation ticket open" for churn
    or "refund issued" for fraud. A model trained on it validates brilliantly and fails in
    production, where the flag is not known yet. With equal rates the column is pure
    noise: use that for hidden data, so that leaning on the leak costs score.

    Args:
        frame: The table to copy; it must contain ``target``.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        target: The label column the flag is derived from (not changed).
        column: Name of the new column, inserted just before ``target``.
        positive: The target value that counts as the outcome.
        true_positive_rate: Fraction of positive rows flagged.
        false_positive_rate: Fraction of the other rows flagged.

    Returns:
        A new frame with ``column`` (int64 0/1) inserted before ``target``.

    Raises:
        ValueError: ``column`` already exists or a rate is outside [0, 1].
    """
    _check_rate("true_positive_rate", true_positive_rate)
    _check_rate("false_positive_rate", false_positive_rate)
    _check_columns(frame, [target])
    if column in frame.columns:
        raise ValueError(f"column {column!r} already exists")
    is_positive = (frame[target] == positive).fillna(False).to_numpy(dtype=bool)
    flagged = _choose(rng, is_positive, true_positive_rate)
    flagged |= _choose(rng, ~is_positive, false_positive_rate)
    result = _copy(frame)
    result.insert(frame.columns.get_loc(target), column, flagged.astype(np.int64))
    flagged_positive = int((flagged & is_positive).sum())
    flagged_other = int((flagged & ~is_positive).sum())
    informative = true_positive_rate != false_positive_rate
    card.record(
        TARGET_LEAKAGE,
        [column],
        len(frame),
        {
            "column": column,
            "target": target,
            "positive": positive,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "informative": informative,
            "flagged_positive": flagged_positive,
            "flagged_other": flagged_other,
        },
        f"{column} added to {_plural(len(frame), 'row')}: "
        + (
            f"set for {flagged_positive} of {int(is_positive.sum())} rows with {target} = "
            f"{positive} and {flagged_other} of {int((~is_positive).sum())} others"
            if informative
            else f"set for {flagged_positive + flagged_other} rows at random (no information)"
        ),
        rows=frame.index,
    )
    return result


@injector(CLASS_IMBALANCE)
def class_imbalance(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    minority: Any,
    ratio: float,
) -> pd.DataFrame:
    """Drop rows of one class until it is ``ratio`` times as frequent as the rest.

    Models exports that lose one class, e.g. churned accounts archived and purged. A
    class already rarer than ``ratio`` is left alone (and recorded with 0 rows).

    Args:
        frame: The table to copy rows from.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: The label column.
        minority: The class to downsample.
        ratio: Rows of ``minority`` per row of any other class afterwards, e.g. 0.1.

    Returns:
        A new frame without the dropped rows; the kept rows keep their index labels and
        order (call ``reset_index(drop=True)`` for positions).

    Raises:
        ValueError: ``ratio`` is not positive or ``minority`` is not in the column.
    """
    _check_columns(frame, [column])
    if ratio <= 0:
        raise ValueError(f"ratio must be > 0, got {ratio}")
    in_class = (frame[column] == minority).fillna(False).to_numpy(dtype=bool)
    if not in_class.any():
        raise ValueError(f"minority: {minority!r} is not a value of {column!r}")
    others = int((~in_class).sum())
    keep = min(int(in_class.sum()), round(ratio * others))
    dropped = in_class & ~_choose_count(rng, in_class, keep)
    result = frame.loc[~dropped]
    count = int(dropped.sum())
    card.record(
        CLASS_IMBALANCE,
        [column],
        count,
        {
            "column": column,
            "minority": minority,
            "ratio": ratio,
            "rows_before": int(in_class.sum()),
            "rows_after": keep,
        },
        f"{_plural(count, 'row')} with {column} = {minority} dropped "
        f"({keep} left, {keep / max(others, 1):.1%} of the other rows)",
        rows=frame.index[dropped],
    )
    return result


# --- differences between public and hidden data --------------------------------------


@injector(DRIFT)
def drift(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    column: str,
    rate: float = 1.0,
    where: Mapping[str, Sequence[Any]] | None = None,
    scale: float = 1.0,
    shift: float = 0.0,
    mix: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """Shift a numeric distribution or a category mix, for data that should differ from
    what candidates trained on (apply it to hidden data only).

    A numeric column becomes ``value * scale + shift``; integer columns are rounded and
    stay integer. A category column gets new values drawn from ``mix`` (which may name
    values never seen before: an unseen category). Apply it before labels are derived
    to model covariate shift, after to model a change the labels do not follow.

    Args:
        frame: The table to copy and change.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        column: The column to shift.
        rate: Fraction of the segment's present values that change, in [0, 1].
        where: The segment: ``column -> values``; rows must match every entry (e.g.
            ``{"region": ["APAC"]}``). None: all rows.
        scale: Numeric columns: multiplier.
        shift: Numeric columns: added after scaling.
        mix: Category columns: value -> probability (summing to 1) of the new values.
            Give either ``mix`` or ``scale``/``shift``.

    Returns:
        A new frame with the same index and columns.

    Raises:
        ValueError: both or neither of ``mix`` and ``scale``/``shift`` are given, a
            numeric change targets a non-numeric column, or ``mix`` does not sum to 1.
    """
    _check_rate("rate", rate)
    _check_columns(frame, [column])
    numeric_change = scale != 1.0 or shift != 0.0
    if numeric_change == (mix is not None):
        raise ValueError("give either mix (categories) or scale/shift (numbers)")
    segment = _check_condition(frame, where)
    series = frame[column]
    chosen = _choose(rng, segment & series.notna().to_numpy(), rate)
    result = _copy(frame)
    params: dict[str, Any] = {
        "column": column,
        "rate": rate,
        "where": where,
        "segment_rows": int(segment.sum()),
    }
    if mix is not None:
        total = float(sum(mix.values()))
        if not mix or abs(total - 1.0) > 1e-9 or min(mix.values()) < 0:
            raise ValueError(f"mix must hold probabilities summing to 1, got {dict(mix)}")
        options = np.array(list(mix), dtype=object)
        picks = rng.choice(len(options), size=int(chosen.sum()), p=list(mix.values()))
        values = series.to_numpy(dtype=object, copy=True)
        values[chosen] = options[picks]
        dtype = object if isinstance(series.dtype, pd.CategoricalDtype) else series.dtype
        result[column] = pd.Series(values, index=frame.index, dtype=dtype)
        params["mix"] = {str(key): value for key, value in mix.items()}
        what = f"redrawn from {dict(mix)}"
    else:
        if not _is_numeric(series):
            raise ValueError(f"column {column!r} is not numeric")
        moved = series * scale + shift
        if pd.api.types.is_integer_dtype(series):
            moved = moved.round().astype(series.dtype)
        result[column] = series.where(~chosen, moved)
        params.update(scale=scale, shift=shift)
        what = f"scaled by {scale:g} and shifted by {shift:g}"
    before = series.astype(object)
    after = result[column].astype(object)
    changed = chosen & before.ne(after).to_numpy(dtype=bool)
    count = int(changed.sum())
    segment_text = "all rows" if where is None else f"rows where {dict(where)}"
    card.record(
        DRIFT,
        [column],
        count,
        params,
        f"{_plural(count, 'value')} of {column} in {segment_text} {what}",
        rows=frame.index[changed],
    )
    return result


@injector(SCHEMA_DRIFT)
def schema_drift(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: DataCard,
    *,
    rename: Mapping[str, str] | None = None,
    extra_columns: Mapping[str, Sequence[Any]] | None = None,
    reorder: bool = False,
    keep_first: Sequence[str] = (),
) -> pd.DataFrame:
    """Rename, add and reorder columns, as a new version of an export would (hidden data).

    Args:
        frame: The table to copy.
        rng: The only source of randomness.
        card: Where the injection is recorded.
        rename: Old name -> new name.
        extra_columns: New column -> values it draws from uniformly per row (e.g.
            ``{"export_batch": ["A", "B"]}``).
        reorder: Shuffle the column order.
        keep_first: Columns (new names) that stay first, in this order, when reordering.

    Returns:
        A new frame with the same rows and index. The card records the mapping, the extra
        columns and the final order.

    Raises:
        ValueError: nothing would change, or a new name clashes with an existing column.
    """
    rename = dict(rename or {})
    extra_columns = dict(extra_columns or {})
    if not rename and not extra_columns and not reorder:
        raise ValueError("give at least one of rename, extra_columns and reorder")
    _check_columns(frame, list(rename))
    renamed_columns = [rename.get(column, column) for column in frame.columns]
    clashes = sorted(
        {name for name in renamed_columns if renamed_columns.count(name) > 1}
        | {name for name in extra_columns if name in renamed_columns}
    )
    if clashes:
        raise ValueError(f"column names would clash: {', '.join(map(str, clashes))}")
    result = frame.rename(columns=rename)
    for name, options in extra_columns.items():
        if not options:
            raise ValueError(f"extra_columns[{name!r}] is empty")
        result[name] = np.array(list(options), dtype=object)[
            rng.integers(len(options), size=len(frame))
        ]
    if reorder:
        missing = [name for name in keep_first if name not in result.columns]
        if missing:
            raise ValueError(f"keep_first: not columns: {', '.join(missing)}")
        rest = [name for name in result.columns if name not in keep_first]
        order = [*keep_first, *(rest[index] for index in rng.permutation(len(rest)))]
        result = result[order]
    card.record(
        SCHEMA_DRIFT,
        [*rename.values(), *extra_columns],
        len(frame),
        {
            "rename": rename,
            "extra_columns": {name: list(options) for name, options in extra_columns.items()},
            "reorder": reorder,
            "keep_first": list(keep_first),
            "order": list(result.columns),
        },
        f"schema changed for all {_plural(len(frame), 'row')}: "
        f"{len(rename)} renamed, {len(extra_columns)} added"
        + (", columns reordered" if reorder else ""),
        rows=frame.index,
    )
    return result


KINDS: tuple[str, ...] = tuple(INJECTORS)
"""The built-in kinds, in definition order."""

__all__ = [
    "CATEGORY_SPELLING",
    "CLASS_IMBALANCE",
    "DRIFT",
    "DUPLICATES_EXACT",
    "DUPLICATES_NEAR",
    "IMPOSSIBLE_VALUES",
    "INJECTORS",
    "KINDS",
    "LABEL_NOISE",
    "MISSING_DEPENDENT",
    "MISSING_MCAR",
    "MIXED_DATES",
    "NUMBERS_AS_TEXT",
    "OUTLIERS",
    "SCHEMA_DRIFT",
    "TARGET_LEAKAGE",
    "UNIT_MISMATCH",
    "DataCard",
    "Injection",
    "Injector",
    "JsonValue",
    "category_spelling",
    "class_imbalance",
    "drift",
    "duplicates_exact",
    "duplicates_near",
    "impossible_values",
    "injector",
    "label_noise",
    "missing_completely_at_random",
    "missing_dependent",
    "mixed_dates",
    "numbers_as_text",
    "outliers",
    "schema_drift",
    "spelling_variants",
    "target_leakage",
    "to_json_value",
    "unit_mismatch",
]
