"""The messy-data injectors: recorded, non-mutating, seeded, and honest about what they did."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from challenges import messy

ROWS = 400


def make_frame(rows: int = ROWS) -> pd.DataFrame:
    """A small clean table with integer, float, category and id columns."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"R{index:04d}" for index in range(rows)],
            "plan": rng.choice(["Basic", "Pro", "Enterprise"], size=rows),
            "region": rng.choice(["North America", "EMEA"], size=rows),
            "age": rng.integers(18, 80, size=rows),
            "spend": np.round(rng.uniform(10, 500, size=rows), 2),
            "score": rng.integers(1, 11, size=rows),
        }
    )


# (injector, keyword arguments, whether it appends rows instead of changing them)
CASES: list[tuple[Callable[..., pd.DataFrame], dict[str, Any], bool]] = [
    (messy.missing_completely_at_random, {"columns": ["plan", "age", "spend"], "rate": 0.1}, False),
    (
        messy.missing_dependent,
        {"columns": ["score"], "depends_on": "spend", "above_quantile": 0.7, "rate": 0.6},
        False,
    ),
    (
        messy.missing_dependent,
        {
            "columns": ["spend"],
            "depends_on": "plan",
            "equals": ["Pro"],
            "rate": 0.5,
            "base_rate": 0.05,
        },
        False,
    ),
    (messy.duplicates_exact, {"rate": 0.05}, True),
    (
        messy.duplicates_near,
        {"rate": 0.05, "numeric_columns": ["spend", "age"], "text_columns": ["plan", "region"]},
        True,
    ),
    (
        messy.category_spelling,
        {"column": "plan", "variants": {"Pro": ["pro", "PRO "], "Basic": ["basic"]}, "rate": 0.2},
        False,
    ),
    (messy.outliers, {"column": "spend", "rate": 0.03, "factor": 100}, False),
    (messy.impossible_values, {"column": "age", "rate": 0.03}, False),
    (messy.impossible_values, {"column": "spend", "rate": 0.03, "sentinel": 99999}, False),
]
CASE_IDS = [
    "missing_mcar",
    "missing_dependent_quantile",
    "missing_dependent_equals",
    "duplicates_exact",
    "duplicates_near",
    "category_spelling",
    "outliers",
    "impossible_negate",
    "impossible_sentinel",
]


def run(
    injector: Callable[..., pd.DataFrame], arguments: dict[str, Any], seed: int = 1
) -> tuple[pd.DataFrame, messy.DataCard]:
    card = messy.DataCard()
    result = injector(make_frame(), np.random.default_rng(seed), card, **arguments)
    return result, card


def changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> pd.Series:
    """Rows where any cell differs, treating missing == missing."""
    both_missing = before.isna() & after.isna()
    differs = before.astype(object).ne(after.astype(object)) & ~both_missing
    return differs.any(axis=1)


@pytest.mark.parametrize(("injector", "arguments", "appends"), CASES, ids=CASE_IDS)
def test_affects_exactly_the_rows_it_records(
    injector: Callable[..., pd.DataFrame], arguments: dict[str, Any], appends: bool
) -> None:
    original = make_frame()
    result, card = run(injector, arguments)
    (injection,) = card.injections
    assert injection.rows_affected > 0
    assert list(result.columns) == list(original.columns)
    if appends:
        assert len(result) == len(original) + injection.rows_affected
        head = result.iloc[: len(original)].reset_index(drop=True)
        pd.testing.assert_frame_equal(head, original)
    else:
        assert len(result) == len(original)
        assert result.index.equals(original.index)
        assert int(changed_rows(original, result).sum()) == injection.rows_affected
        untouched = [column for column in original.columns if column not in injection.columns]
        pd.testing.assert_frame_equal(result[untouched], original[untouched])


@pytest.mark.parametrize(("injector", "arguments", "appends"), CASES, ids=CASE_IDS)
def test_records_kind_params_and_description(
    injector: Callable[..., pd.DataFrame], arguments: dict[str, Any], appends: bool
) -> None:
    _, card = run(injector, arguments)
    (injection,) = card.injections
    assert injection.kind in messy.KINDS
    assert messy.INJECTORS[injection.kind] is injector
    for name, value in arguments.items():
        assert injection.params[name] == messy.to_json_value(value)
    assert str(injection.rows_affected) in injection.description
    json.dumps(card.to_dict())  # plain JSON values only


@pytest.mark.parametrize(("injector", "arguments", "appends"), CASES, ids=CASE_IDS)
def test_does_not_mutate_its_input(
    injector: Callable[..., pd.DataFrame], arguments: dict[str, Any], appends: bool
) -> None:
    frame = make_frame()
    injector(frame, np.random.default_rng(1), messy.DataCard(), **arguments)
    pd.testing.assert_frame_equal(frame, make_frame())


@pytest.mark.parametrize(("injector", "arguments", "appends"), CASES, ids=CASE_IDS)
def test_same_seed_same_output_and_other_seed_differs(
    injector: Callable[..., pd.DataFrame], arguments: dict[str, Any], appends: bool
) -> None:
    first, first_card = run(injector, arguments, seed=7)
    second, second_card = run(injector, arguments, seed=7)
    pd.testing.assert_frame_equal(first, second)
    assert first_card.to_dict() == second_card.to_dict()
    other, _ = run(injector, arguments, seed=8)
    assert not first.equals(other)


def test_exact_duplicates_copy_existing_rows() -> None:
    original = make_frame()
    result, card = run(messy.duplicates_exact, {"rate": 0.05})
    copies = result.iloc[len(original) :]
    assert len(copies) == round(0.05 * ROWS)
    assert copies.merge(original, how="left", indicator=True)["_merge"].eq("both").all()
    assert card.injections[0].description == f"{len(copies)} exact duplicate rows"


def test_near_duplicates_differ_from_their_original_in_one_column() -> None:
    original = make_frame().set_index("id")
    result, card = run(
        messy.duplicates_near,
        {"rate": 0.1, "numeric_columns": ["spend", "age"], "text_columns": ["plan"]},
    )
    copies = result.iloc[ROWS:].set_index("id")
    sources = original.loc[copies.index]
    difference_counts = changed_rows(sources, copies).astype(int)
    assert (difference_counts == 1).all()
    per_cell = (sources.astype(object) != copies.astype(object)).sum()
    assert per_cell[["region", "score"]].sum() == 0
    relative = (copies["spend"] - sources["spend"]).abs() / sources["spend"]
    assert relative.max() <= 0.02 + 0.01  # relative_noise plus rounding to cents
    assert copies["age"].dtype == original["age"].dtype
    changed_plans = copies["plan"] != sources["plan"]
    assert (
        copies.loc[changed_plans, "plan"].str.strip() == sources.loc[changed_plans, "plan"]
    ).all()
    changes = card.injections[0].params["changes_per_column"]
    assert isinstance(changes, dict) and sum(changes.values()) == len(copies)  # type: ignore[arg-type]


def test_missing_dependent_concentrates_missingness_where_the_condition_holds() -> None:
    original = make_frame()
    result, card = run(
        messy.missing_dependent,
        {
            "columns": ["score"],
            "depends_on": "spend",
            "above_quantile": 0.7,
            "rate": 0.6,
            "base_rate": 0.05,
        },
    )
    threshold = card.injections[0].params["threshold"]
    assert threshold == pytest.approx(original["spend"].quantile(0.7))
    high = original["spend"] > original["spend"].quantile(0.7)
    assert result.loc[high, "score"].isna().mean() == pytest.approx(0.6, abs=0.01)
    assert result.loc[~high, "score"].isna().mean() == pytest.approx(0.05, abs=0.01)


def test_category_spelling_uses_only_the_given_variants() -> None:
    original = make_frame()
    variants = {"Pro": ["pro", "PRO "], "Basic": ["basic"]}
    result, _ = run(messy.category_spelling, {"column": "plan", "variants": variants, "rate": 0.5})
    changed = result["plan"] != original["plan"]
    for before, after in zip(
        original.loc[changed, "plan"], result.loc[changed, "plan"], strict=True
    ):
        assert after in variants[before]
    assert (original.loc[changed, "plan"] != "Enterprise").all()


def test_outliers_multiply_by_the_factor() -> None:
    original = make_frame()
    result, _ = run(messy.outliers, {"column": "spend", "rate": 0.05, "factor": 100})
    changed = result["spend"] != original["spend"]
    assert changed.sum() == round(0.05 * ROWS)
    np.testing.assert_allclose(result.loc[changed, "spend"], original.loc[changed, "spend"] * 100)


def test_impossible_values_negate_or_use_the_sentinel() -> None:
    original = make_frame()
    negated, _ = run(messy.impossible_values, {"column": "age", "rate": 0.05})
    changed = negated["age"] != original["age"]
    assert (negated.loc[changed, "age"] == -original.loc[changed, "age"]).all()
    sentinel, _ = run(messy.impossible_values, {"column": "age", "rate": 0.05, "sentinel": 99999})
    assert (sentinel["age"] == 99999).sum() == round(0.05 * ROWS)


def test_near_duplicates_never_push_zero_below_zero() -> None:
    frame = make_frame().assign(score=0, spend=0.0)
    result = messy.duplicates_near(
        frame,
        np.random.default_rng(5),
        messy.DataCard(),
        rate=0.2,
        numeric_columns=["score", "spend"],
    )
    copies = result.iloc[ROWS:]
    assert (copies["score"] >= 0).all() and (copies["spend"] >= 0).all()
    assert ((copies["score"] > 0) | (copies["spend"] > 0)).all()


def test_categorical_columns_accept_new_spellings() -> None:
    frame = make_frame().astype({"plan": "category"})
    variants = {"Pro": ["pro"]}
    respelled = messy.category_spelling(
        frame, np.random.default_rng(0), messy.DataCard(), column="plan", variants=variants, rate=1
    )
    assert respelled["plan"].eq("pro").sum() == frame["plan"].eq("Pro").sum()
    near = messy.duplicates_near(
        frame, np.random.default_rng(0), messy.DataCard(), rate=0.1, text_columns=["plan"]
    )
    assert near["plan"].notna().all()


def test_missing_values_turn_integer_columns_into_floats_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas warns about silent upcasting on setitem
        with_missing, _ = run(messy.missing_completely_at_random, {"columns": ["age"], "rate": 0.1})
    assert with_missing["age"].isna().sum() == round(0.1 * ROWS)
    assert pd.api.types.is_float_dtype(with_missing["age"])


def test_injectors_compose_and_the_card_labels_splits() -> None:
    card = messy.DataCard()
    rng = np.random.default_rng(3)
    train = messy.missing_completely_at_random(
        make_frame(), rng, card.for_split("train"), columns=["spend"], rate=0.1
    )
    train = messy.duplicates_exact(train, rng, card.for_split("train"), rate=0.02)
    messy.outliers(make_frame(), rng, card.for_split("eval"), column="spend", rate=0.02, factor=10)
    document = json.loads(json.dumps(card.to_dict()))
    assert [(item["kind"], item["split"]) for item in document["injections"]] == [
        (messy.MISSING_MCAR, "train"),
        (messy.DUPLICATES_EXACT, "train"),
        (messy.OUTLIERS, "eval"),
    ]
    assert card.kinds() == [messy.MISSING_MCAR, messy.DUPLICATES_EXACT, messy.OUTLIERS]
    assert len(train) == ROWS + round(0.02 * ROWS)


def test_kinds_are_stable_strings() -> None:
    assert messy.KINDS == (
        "missing_mcar",
        "missing_dependent",
        "duplicates_exact",
        "duplicates_near",
        "category_spelling",
        "outliers",
        "impossible_values",
    )


@pytest.mark.parametrize(
    ("injector", "arguments", "message"),
    [
        (
            messy.missing_completely_at_random,
            {"columns": ["age"], "rate": 1.5},
            "rate must be between",
        ),
        (messy.missing_completely_at_random, {"columns": ["nope"], "rate": 0.1}, "nope"),
        (
            messy.missing_dependent,
            {"columns": ["age"], "depends_on": "spend", "rate": 0.1},
            "exactly one of above_quantile and equals",
        ),
        (
            messy.category_spelling,
            {"column": "plan", "variants": {"Pro": ["Pro"]}, "rate": 0.1},
            "contains the canonical value",
        ),
        (messy.duplicates_near, {"rate": 0.1}, "at least one of"),
        (messy.duplicates_near, {"rate": 0.1, "numeric_columns": ["plan"]}, "is not numeric"),
        (messy.duplicates_near, {"rate": 0.1, "text_columns": ["age"]}, "is numeric"),
        (messy.outliers, {"column": "plan", "rate": 0.1, "factor": 10}, "is not numeric"),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(
    injector: Callable[..., pd.DataFrame], arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises((ValueError, KeyError), match=message):
        injector(make_frame(), np.random.default_rng(0), messy.DataCard(), **arguments)


def test_registering_a_kind_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        messy.injector(messy.OUTLIERS)(messy.outliers)
