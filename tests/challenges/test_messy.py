"""The messy-data injectors: recorded, non-mutating, seeded, and honest about what they did."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from challenges import messy

ROWS = 400
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"]


def make_frame(rows: int = ROWS) -> pd.DataFrame:
    """A small clean table with integer, float, category, date, label and id columns."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"R{index:04d}" for index in range(rows)],
            "plan": rng.choice(["Basic", "Pro", "Enterprise"], size=rows),
            "region": rng.choice(["North America", "EMEA"], size=rows),
            "age": rng.integers(18, 80, size=rows),
            "spend": np.round(rng.uniform(10, 5000, size=rows), 2),
            "score": rng.integers(1, 11, size=rows),
            "joined": pd.Timestamp("2021-01-01")
            + pd.to_timedelta(rng.integers(0, 1200, size=rows), unit="D"),
            "label": (rng.random(rows) < 0.3).astype(np.int64),
        }
    )


@dataclass(frozen=True)
class Case:
    """One injector call, and how its effect shows in the returned frame."""

    id: str
    injector: Callable[..., pd.DataFrame]
    arguments: dict[str, Any]
    effect: str
    """in_place: changes cells of the recorded rows (may append the columns it records);
    appends / drops: adds or removes the recorded rows; renders: rewrites a column as text
    (exact counts checked in the kind's own test); whole_frame: every row gains columns."""


CASES = [
    Case(
        "missing_mcar",
        messy.missing_completely_at_random,
        {"columns": ["plan", "age", "spend"], "rate": 0.1},
        "in_place",
    ),
    Case(
        "missing_mcar_jointly",
        messy.missing_completely_at_random,
        {"columns": ["age", "spend", "score"], "rate": 0.1, "jointly": True},
        "in_place",
    ),
    Case(
        "missing_dependent_quantile",
        messy.missing_dependent,
        {"columns": ["score"], "depends_on": "spend", "above_quantile": 0.7, "rate": 0.6},
        "in_place",
    ),
    Case(
        "missing_dependent_equals",
        messy.missing_dependent,
        {
            "columns": ["spend"],
            "depends_on": "plan",
            "equals": ["Pro"],
            "rate": 0.5,
            "base_rate": 0.05,
        },
        "in_place",
    ),
    Case("duplicates_exact", messy.duplicates_exact, {"rate": 0.05}, "appends"),
    Case(
        "duplicates_near",
        messy.duplicates_near,
        {"rate": 0.05, "numeric_columns": ["spend", "age"], "text_columns": ["plan", "region"]},
        "appends",
    ),
    Case(
        "category_spelling",
        messy.category_spelling,
        {"column": "plan", "variants": {"Pro": ["pro", "PRO "], "Basic": ["basic"]}, "rate": 0.2},
        "in_place",
    ),
    Case("outliers", messy.outliers, {"column": "spend", "rate": 0.03, "factor": 100}, "in_place"),
    Case("impossible_negate", messy.impossible_values, {"column": "age", "rate": 0.03}, "in_place"),
    Case(
        "impossible_sentinel",
        messy.impossible_values,
        {"column": "spend", "rate": 0.03, "sentinel": 99999},
        "in_place",
    ),
    Case(
        "unit_mismatch",
        messy.unit_mismatch,
        {"columns": ["spend"], "factor": 100, "rate": 0.1, "from_unit": "USD", "to_unit": "cents"},
        "in_place",
    ),
    Case(
        "unit_mismatch_with_source",
        messy.unit_mismatch,
        {
            "columns": ["spend", "age"],
            "factor": 0.001,
            "rate": 0.15,
            "source_column": "source",
            "source": "legacy",
            "default_source": "main",
        },
        "in_place",
    ),
    Case(
        "mixed_dates",
        messy.mixed_dates,
        {
            "column": "joined",
            "formats": DATE_FORMATS,
            "rate": 0.2,
            "offsets": ["-05:00", "+09:00"],
            "offset_rate": 0.1,
        },
        "renders",
    ),
    Case(
        "numbers_as_text",
        messy.numbers_as_text,
        {"column": "spend", "rate": 0.2, "symbols": ["", "$"]},
        "renders",
    ),
    Case("label_noise", messy.label_noise, {"column": "label", "rate": 0.05}, "in_place"),
    Case(
        "label_noise_by_class",
        messy.label_noise,
        {"column": "label", "class_rates": {1: 0.2, 0: 0.02}},
        "in_place",
    ),
    Case(
        "target_leakage",
        messy.target_leakage,
        {"target": "label", "column": "refund_issued"},
        "whole_frame",
    ),
    Case(
        "class_imbalance",
        messy.class_imbalance,
        {"column": "label", "minority": 1, "ratio": 0.1},
        "drops",
    ),
    Case(
        "drift_numeric",
        messy.drift,
        {"column": "age", "rate": 0.5, "where": {"plan": ["Pro"]}, "scale": 1.5, "shift": 3},
        "in_place",
    ),
    Case(
        "drift_mix",
        messy.drift,
        {"column": "region", "rate": 0.3, "mix": {"APAC": 0.5, "EMEA": 0.5}},
        "in_place",
    ),
    Case(
        "schema_drift",
        messy.schema_drift,
        {
            "rename": {"spend": "spend_usd"},
            "extra_columns": {"batch": ["A", "B", "C"]},
            "reorder": True,
            "keep_first": ["id"],
        },
        "whole_frame",
    ),
]


def run(case: Case, seed: int = 1) -> tuple[pd.DataFrame, messy.DataCard]:
    card = messy.DataCard()
    result = case.injector(make_frame(), np.random.default_rng(seed), card, **case.arguments)
    return result, card


def apply(
    injector: Callable[..., pd.DataFrame], arguments: dict[str, Any], seed: int = 1
) -> tuple[pd.DataFrame, messy.DataCard]:
    card = messy.DataCard()
    return injector(make_frame(), np.random.default_rng(seed), card, **arguments), card


def changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> pd.Series:
    """Rows where any cell differs, treating missing == missing."""
    both_missing = before.isna() & after.isna()
    differs = before.astype(object).ne(after.astype(object)) & ~both_missing
    return differs.any(axis=1)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_affects_exactly_the_rows_it_records(case: Case) -> None:
    original = make_frame()
    result, card = run(case)
    (injection,) = card.injections
    assert injection.rows_affected > 0
    assert injection.rows is not None and len(injection.rows) == injection.rows_affected
    if case.effect == "appends":
        assert list(result.columns) == list(original.columns)
        assert len(result) == len(original) + injection.rows_affected
        head = result.iloc[: len(original)].reset_index(drop=True)
        pd.testing.assert_frame_equal(head, original)
        assert list(injection.rows) == list(result.index[len(original) :])
    elif case.effect == "drops":
        assert list(result.columns) == list(original.columns)
        assert len(result) == len(original) - injection.rows_affected
        pd.testing.assert_frame_equal(result, original.loc[result.index])
        assert set(injection.rows) == set(original.index) - set(result.index)
    elif case.effect == "whole_frame":
        assert injection.rows_affected == len(original) == len(result)
        kept = [column for column in original.columns if column in result.columns]
        pd.testing.assert_frame_equal(result[kept], original[kept])
    else:
        assert len(result) == len(original)
        assert result.index.equals(original.index)
        added = [column for column in result.columns if column not in original.columns]
        assert list(result.columns) == [*original.columns, *added]
        assert set(added) <= set(injection.columns)
        untouched = [column for column in original.columns if column not in injection.columns]
        pd.testing.assert_frame_equal(result[untouched], original[untouched])
        if case.effect == "in_place":
            changed = changed_rows(original, result[original.columns])
            assert int(changed.sum()) == injection.rows_affected
            assert list(injection.rows) == list(original.index[changed])


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_records_kind_params_and_description(case: Case) -> None:
    _, card = run(case)
    (injection,) = card.injections
    assert injection.kind in messy.KINDS
    assert messy.INJECTORS[injection.kind] is case.injector
    for name, value in case.arguments.items():
        assert injection.params[name] == messy.to_json_value(value), name
    assert f"{injection.rows_affected}" in injection.description
    json.dumps(card.to_dict())  # plain JSON values only


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_does_not_mutate_its_input(case: Case) -> None:
    frame = make_frame()
    case.injector(frame, np.random.default_rng(1), messy.DataCard(), **case.arguments)
    pd.testing.assert_frame_equal(frame, make_frame())


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_same_seed_same_output_and_other_seed_differs(case: Case) -> None:
    first, first_card = run(case, seed=7)
    second, second_card = run(case, seed=7)
    pd.testing.assert_frame_equal(first, second)
    assert first_card.to_dict() == second_card.to_dict()
    other, _ = run(case, seed=8)
    assert not first.equals(other)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode()


def test_a_chain_of_every_kind_gives_byte_identical_csv_for_the_same_seed() -> None:
    def chain(seed: int) -> tuple[bytes, str]:
        rng = np.random.default_rng(seed)
        card = messy.DataCard()
        frame = make_frame()
        for case in CASES:
            if case.injector in (messy.schema_drift, messy.class_imbalance):
                continue  # they would remove columns or rows that later cases use
            frame = case.injector(frame, rng, card, **case.arguments)
        frame = messy.class_imbalance(frame, rng, card, column="label", minority=1, ratio=0.2)
        frame = messy.schema_drift(frame, rng, card, reorder=True, keep_first=["id"])
        return csv_bytes(frame), json.dumps(card.to_dict(), sort_keys=True)

    assert chain(11) == chain(11)
    assert chain(11)[0] != chain(12)[0]


def test_exact_duplicates_copy_existing_rows() -> None:
    original = make_frame()
    result, card = apply(messy.duplicates_exact, {"rate": 0.05})
    copies = result.iloc[len(original) :]
    assert len(copies) == round(0.05 * ROWS)
    assert copies.merge(original, how="left", indicator=True)["_merge"].eq("both").all()
    assert card.injections[0].description == f"{len(copies)} exact duplicate rows"


def test_near_duplicates_differ_from_their_original_in_one_column() -> None:
    original = make_frame().set_index("id")
    result, card = apply(
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
    result, card = apply(
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
    result, _ = apply(
        messy.category_spelling, {"column": "plan", "variants": variants, "rate": 0.5}
    )
    changed = result["plan"] != original["plan"]
    for before, after in zip(
        original.loc[changed, "plan"], result.loc[changed, "plan"], strict=True
    ):
        assert after in variants[before]
    assert (original.loc[changed, "plan"] != "Enterprise").all()


def test_outliers_multiply_by_the_factor() -> None:
    original = make_frame()
    result, _ = apply(messy.outliers, {"column": "spend", "rate": 0.05, "factor": 100})
    changed = result["spend"] != original["spend"]
    assert changed.sum() == round(0.05 * ROWS)
    np.testing.assert_allclose(result.loc[changed, "spend"], original.loc[changed, "spend"] * 100)


def test_impossible_values_negate_or_use_the_sentinel() -> None:
    original = make_frame()
    negated, _ = apply(messy.impossible_values, {"column": "age", "rate": 0.05})
    changed = negated["age"] != original["age"]
    assert (negated.loc[changed, "age"] == -original.loc[changed, "age"]).all()
    sentinel, _ = apply(messy.impossible_values, {"column": "age", "rate": 0.05, "sentinel": 99999})
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
        with_missing, _ = apply(
            messy.missing_completely_at_random, {"columns": ["age"], "rate": 0.1}
        )
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
        "unit_mismatch",
        "mixed_dates",
        "numbers_as_text",
        "label_noise",
        "target_leakage",
        "class_imbalance",
        "drift",
        "schema_drift",
    )


def test_missing_jointly_blanks_all_columns_in_the_same_rows() -> None:
    result, card = apply(
        messy.missing_completely_at_random,
        {"columns": ["age", "spend", "score"], "rate": 0.1, "jointly": True},
    )
    blanks = result[["age", "spend", "score"]].isna()
    assert (blanks.all(axis=1) == blanks.any(axis=1)).all()
    assert blanks.all(axis=1).sum() == round(0.1 * ROWS) == card.injections[0].rows_affected
    assert card.injections[0].params["cells_affected"] == 3 * round(0.1 * ROWS)


def test_unit_mismatch_converts_whole_rows_and_marks_their_source() -> None:
    original = make_frame()
    result, card = apply(
        messy.unit_mismatch,
        {
            "columns": ["spend", "age"],
            "factor": 0.001,
            "rate": 0.15,
            "source_column": "source",
            "source": "legacy",
        },
    )
    legacy = result["source"] == "legacy"
    assert legacy.sum() == round(0.15 * ROWS)
    assert set(result["source"]) == {"legacy", "primary"}
    for column in ("spend", "age"):
        np.testing.assert_allclose(result.loc[legacy, column], original.loc[legacy, column] * 0.001)
        assert result.loc[~legacy, column].equals(original.loc[~legacy, column].astype(float))
    assert card.injections[0].params["cells_affected"] == 2 * legacy.sum()


def test_unit_mismatch_rounds_converted_values_when_asked() -> None:
    frame = make_frame().assign(spend=0.29)
    result = messy.unit_mismatch(
        frame,
        np.random.default_rng(0),
        messy.DataCard(),
        columns=["spend"],
        factor=100,
        rate=1.0,
        decimals=2,
    )
    assert (result["spend"] == 29.0).all()


def test_mixed_dates_keep_the_instant_in_every_format() -> None:
    original = make_frame()
    offsets = ["-05:00", "+09:00", "+05:30"]
    result, card = apply(
        messy.mixed_dates,
        {
            "column": "joined",
            "formats": DATE_FORMATS,
            "rate": 0.2,
            "offsets": offsets,
            "offset_rate": 0.15,
        },
    )
    text = result["joined"]
    assert all(isinstance(value, str) for value in text)
    with_offset = text.str.contains("T")
    assert with_offset.sum() == round(0.15 * ROWS)
    parsed = pd.to_datetime(text[with_offset], format="ISO8601", utc=True).dt.tz_localize(None)
    assert (parsed == original.loc[with_offset, "joined"]).all()
    clock = text[with_offset].str[11:19]
    assert (clock != "00:00:00").all()  # midnight UTC is another clock time at these offsets
    plain = text[~with_offset]
    in_format = {
        date_format: pd.to_datetime(plain, format=date_format, errors="coerce")
        for date_format in DATE_FORMATS
    }
    matched = pd.concat(in_format, axis=1)
    assert (matched.notna().sum(axis=1) == 1).all()  # each text fits exactly one format
    assert (matched.bfill(axis=1).iloc[:, 0] == original.loc[~with_offset, "joined"]).all()
    injection = card.injections[0]
    per_format = {name: int(found.notna().sum()) for name, found in in_format.items()}
    assert injection.params["rows_per_format"] == per_format
    assert per_format["%Y-%m-%d"] == ROWS - injection.rows_affected
    assert injection.rows_affected == round(0.15 * ROWS) + round(0.2 * ROWS)
    assert sum(injection.params["rows_per_offset"].values()) == round(0.15 * ROWS)  # type: ignore[union-attr]


def test_mixed_dates_keep_missing_values_and_accept_time_zones() -> None:
    frame = make_frame()
    frame["joined"] = frame["joined"].dt.tz_localize("Europe/Berlin").mask(frame.index < 10)
    result = messy.mixed_dates(
        frame,
        np.random.default_rng(0),
        messy.DataCard(),
        column="joined",
        formats=["%Y-%m-%d %H:%M"],
        rate=0.0,
    )
    assert result["joined"].isna().sum() == 10
    assert result.loc[10, "joined"] == frame.loc[10, "joined"].tz_convert("UTC").strftime(
        "%Y-%m-%d %H:%M"
    )


@pytest.mark.parametrize(
    ("value", "decimals", "thousands", "point", "expected"),
    [
        (1234.5, 2, ",", ".", "1,234.50"),
        (-1234.5, 2, ",", ".", "-1,234.50"),
        (1_000_000.0, 2, ",", ".", "1,000,000.00"),
        (999.999, 2, ",", ".", "1,000.00"),
        (12.0, 0, ",", ".", "12"),
        (0.0, 2, ",", ".", "0.00"),
        (-0.001, 2, ",", ".", "0.00"),
        (1_234_567.891, 2, ".", ",", "1.234.567,89"),
        (10_000.0, 1, " ", ",", "10 000,0"),
    ],
)
def test_numbers_are_formatted_like_format_with_separators(
    value: float, decimals: int, thousands: str, point: str, expected: str
) -> None:
    frame = pd.DataFrame({"amount": [value]})
    result = messy.numbers_as_text(
        frame,
        np.random.default_rng(0),
        messy.DataCard(),
        column="amount",
        rate=1.0,
        decimals=decimals,
        thousands_separator=thousands,
        decimal_separator=point,
    )
    assert result.loc[0, "amount"] == expected


def test_numbers_as_text_round_trip_and_leave_the_rest_numeric() -> None:
    original = make_frame()
    result, card = apply(
        messy.numbers_as_text, {"column": "spend", "rate": 0.3, "symbols": ["", "$", "USD "]}
    )
    as_text = result["spend"].map(lambda value: isinstance(value, str))
    assert as_text.sum() == round(0.3 * ROWS) == card.injections[0].rows_affected
    assert list(card.injections[0].rows) == list(original.index[as_text])
    assert (result.loc[~as_text, "spend"] == original.loc[~as_text, "spend"]).all()
    text = result.loc[as_text, "spend"].astype(str)
    assert text.str.startswith("$").any() and text.str.startswith("USD ").any()
    numbers = pd.to_numeric(text.str.replace(r"[$,]|USD ", "", regex=True))
    np.testing.assert_allclose(numbers, original.loc[as_text, "spend"], atol=0.005)
    assert text[original.loc[as_text, "spend"] >= 1000].str.contains(",").all()


def test_label_noise_flips_the_recorded_share_of_each_class() -> None:
    original = make_frame()
    positives, negatives = int(original["label"].sum()), int((original["label"] == 0).sum())
    result, card = apply(messy.label_noise, {"column": "label", "class_rates": {1: 0.2}})
    flipped = result["label"] != original["label"]
    assert (original.loc[flipped, "label"] == 1).all()
    assert flipped.sum() == round(0.2 * positives)
    assert card.injections[0].params["flipped_per_class"] == {"1": round(0.2 * positives)}
    assert result["label"].dtype == original["label"].dtype
    _, card = apply(messy.label_noise, {"column": "label", "rate": 0.1})
    assert card.injections[0].params["flipped_per_class"] == {
        "0": round(0.1 * negatives),
        "1": round(0.1 * positives),
    }


def test_label_noise_with_many_classes_never_keeps_the_label() -> None:
    original = make_frame()
    result, _ = apply(messy.label_noise, {"column": "plan", "rate": 0.5})
    flipped = result["plan"] != original["plan"]
    assert flipped.sum() == sum(round(0.5 * count) for count in original["plan"].value_counts())
    assert set(result["plan"]) == {"Basic", "Pro", "Enterprise"}


def test_target_leakage_flags_mostly_positives_and_can_be_made_uninformative() -> None:
    original = make_frame()
    positives = int(original["label"].sum())
    result, card = apply(
        messy.target_leakage,
        {
            "target": "label",
            "column": "refund_issued",
            "true_positive_rate": 0.8,
            "false_positive_rate": 0.05,
        },
    )
    assert list(result.columns) == [*original.columns[:-1], "refund_issued", "label"]
    flag = result["refund_issued"]
    assert flag.dtype == np.int64
    assert flag[original["label"] == 1].sum() == round(0.8 * positives)
    assert flag[original["label"] == 0].sum() == round(0.05 * (ROWS - positives))
    assert card.injections[0].params["informative"] is True
    _, card = apply(
        messy.target_leakage,
        {
            "target": "label",
            "column": "refund_issued",
            "true_positive_rate": 0.1,
            "false_positive_rate": 0.1,
        },
    )
    assert card.injections[0].params["informative"] is False
    assert "no information" in card.injections[0].description


def test_class_imbalance_reaches_the_ratio_and_leaves_rarer_classes_alone() -> None:
    original = make_frame()
    result, card = apply(messy.class_imbalance, {"column": "label", "minority": 1, "ratio": 0.1})
    negatives = int((original["label"] == 0).sum())
    assert result["label"].sum() == round(0.1 * negatives)
    assert (result["label"] == 0).sum() == negatives
    assert result.index.is_monotonic_increasing
    already, card = apply(messy.class_imbalance, {"column": "label", "minority": 1, "ratio": 5})
    assert len(already) == ROWS and card.injections[0].rows_affected == 0


def test_drift_changes_only_the_segment() -> None:
    original = make_frame()
    result, card = apply(
        messy.drift, {"column": "age", "where": {"plan": ["Pro"]}, "scale": 1.5, "shift": 3}
    )
    pro = original["plan"] == "Pro"
    assert (result.loc[~pro, "age"] == original.loc[~pro, "age"]).all()
    expected = (original.loc[pro, "age"] * 1.5 + 3).round().astype(original["age"].dtype)
    assert (result.loc[pro, "age"] == expected).all()
    assert result["age"].dtype == original["age"].dtype
    assert card.injections[0].params["segment_rows"] == pro.sum()


def test_drift_can_bring_a_category_never_seen_before() -> None:
    original = make_frame()
    result, card = apply(messy.drift, {"column": "region", "rate": 0.1, "mix": {"LATAM": 1.0}})
    assert (result["region"] == "LATAM").sum() == round(0.1 * ROWS)
    assert list(card.affected_rows(messy.DRIFT)) == list(
        original.index[result["region"] == "LATAM"]
    )


def test_schema_drift_records_the_mapping_and_keeps_the_data() -> None:
    original = make_frame()
    result, card = apply(
        messy.schema_drift,
        {
            "rename": {"spend": "spend_usd", "plan": "tier"},
            "extra_columns": {"batch": ["A", "B"]},
            "reorder": True,
            "keep_first": ["id"],
        },
    )
    params = card.injections[0].params
    assert params["rename"] == {"spend": "spend_usd", "plan": "tier"}
    assert params["order"] == list(result.columns)
    assert result.columns[0] == "id"
    assert set(result["batch"]) == {"A", "B"}
    restored = result.drop(columns=["batch"]).rename(columns={"spend_usd": "spend", "tier": "plan"})
    pd.testing.assert_frame_equal(restored[original.columns], original)


def test_problems_summarise_kinds_by_split() -> None:
    card = messy.DataCard()
    rng = np.random.default_rng(0)
    train_card, eval_card = card.for_split("train"), card.for_split("eval")
    messy.outliers(make_frame(), rng, train_card, column="spend", rate=0.05, factor=10)
    messy.outliers(make_frame(), rng, train_card, column="age", rate=0.05, factor=10)
    messy.outliers(make_frame(), rng, eval_card, column="spend", rate=0.1, factor=10)
    messy.duplicates_exact(make_frame(), rng, train_card, rate=0.01)
    assert card.problems() == [
        {
            "kind": messy.OUTLIERS,
            "splits": ["train", "eval"],
            "columns": ["spend", "age"],
            "rows_affected": {"train": 40, "eval": 40},
            "injections": 3,
        },
        {
            "kind": messy.DUPLICATES_EXACT,
            "splits": ["train"],
            "columns": [],
            "rows_affected": {"train": 4},
            "injections": 1,
        },
    ]
    assert card.to_dict()["problems"] == card.problems()
    assert len(eval_card.affected_rows(messy.OUTLIERS)) == 40
    assert len(train_card.affected_rows(messy.OUTLIERS)) <= 40
    assert len(card.affected_rows(messy.OUTLIERS)) >= 40


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
        (messy.unit_mismatch, {"columns": ["spend"], "factor": 1, "rate": 0.1}, "unit conversion"),
        (
            messy.unit_mismatch,
            {"columns": ["spend"], "factor": 100, "rate": 0.1, "source_column": "plan"},
            "already a column",
        ),
        (messy.mixed_dates, {"column": "age", "formats": DATE_FORMATS, "rate": 0.1}, "datetimes"),
        (
            messy.mixed_dates,
            {"column": "joined", "formats": DATE_FORMATS, "rate": 0.1, "offsets": ["+5"]},
            "offsets",
        ),
        (
            messy.mixed_dates,
            {"column": "joined", "formats": DATE_FORMATS, "rate": 0.8, "offset_rate": 0.3},
            "must not exceed 1",
        ),
        (messy.mixed_dates, {"column": "joined", "formats": ["%Y"], "rate": 0.1}, "besides"),
        (messy.numbers_as_text, {"column": "plan", "rate": 0.1}, "is not numeric"),
        (
            messy.numbers_as_text,
            {"column": "spend", "rate": 0.1, "thousands_separator": "."},
            "must differ",
        ),
        (messy.label_noise, {"column": "label"}, "exactly one of rate and class_rates"),
        (messy.label_noise, {"column": "label", "class_rates": {7: 0.1}}, "not a class"),
        (messy.target_leakage, {"target": "label", "column": "age"}, "already exists"),
        (messy.class_imbalance, {"column": "label", "minority": 9, "ratio": 0.1}, "not a value"),
        (messy.class_imbalance, {"column": "label", "minority": 1, "ratio": 0}, "must be > 0"),
        (messy.drift, {"column": "age"}, "either mix"),
        (messy.drift, {"column": "plan", "scale": 2.0}, "is not numeric"),
        (messy.drift, {"column": "plan", "mix": {"Pro": 0.5}}, "summing to 1"),
        (messy.schema_drift, {}, "at least one of"),
        (messy.schema_drift, {"rename": {"spend": "age"}}, "would clash"),
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
