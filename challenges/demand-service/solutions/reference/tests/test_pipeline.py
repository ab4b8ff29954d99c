"""The input contract: schema mapping, validation and flagging, on hand-made rows."""

import numpy as np
import pandas as pd

from pipeline import to_canonical, validate

TYPICAL = {"P1000": 4.0}


def row(**overrides):
    values = {
        "date": "2024-03-05",
        "store_id": "S100",
        "store_format": "super",
        "region": "east",
        "store_size_sqm": 2000,
        "product_id": "P1000",
        "category": "dairy",
        "price": 3.5,
        "pos_system": "cloud",
        "promo": 0,
        "discount_pct": 0,
        "is_holiday": 0,
        "temperature_c": 10.0,
    }
    values.update(overrides)
    return values


def check(*rows):
    frame = pd.DataFrame(list(rows), index=[f"R{i}" for i in range(len(rows))])
    canonical, mapping = to_canonical(frame)
    return validate(canonical, TYPICAL), mapping


def test_renamed_and_extra_columns_map_onto_the_training_schema():
    renamed = row(on_promotion="Y", store_area_sqm=900, feed_version="2024.03.1")
    del renamed["promo"], renamed["store_size_sqm"]
    checked, mapping = check(renamed)
    assert mapping == {"on_promotion": "promo", "store_area_sqm": "store_size_sqm"}
    assert checked.rows["promo"].tolist() == [1.0]
    assert checked.rows["store_size_sqm"].tolist() == [900]
    assert not checked.flagged.any()


def test_a_price_in_the_new_column_is_used_when_price_is_empty():
    checked, _ = check(row(price=np.nan, unit_price=2.25, pos_system="nextgen"))
    assert checked.rows["price"].tolist() == [2.25]
    assert not checked.flagged.any()


def test_messy_but_valid_rows_are_repaired_not_flagged():
    checked, _ = check(
        row(price="$1,234.00", pos_system="legacy"),  # cents from the legacy system
        row(date="03/05/2024", category="Dairy & Eggs"),
        row(price=np.nan, discount_pct=25),
        row(date="20240305", promo=np.nan),
    )
    assert not checked.flagged.any()
    assert checked.rows["price"].round(2).tolist() == [12.34, 3.5, 3.0, 3.5]
    assert checked.rows["category"].tolist() == ["dairy"] * 4
    assert (checked.rows["date"] == pd.Timestamp("2024-03-05")).all()


def test_corrupted_rows_are_flagged_with_a_reason():
    checked, _ = check(
        row(store_id=np.nan),
        row(product_id=" "),
        row(date="0000-00-00"),
        row(price="#VALUE!"),
        row(price=-1),
        row(price=99999, pos_system="legacy"),
        row(),
    )
    assert checked.flagged.tolist() == [True] * 6 + [False]
    assert checked.reasons[:6] == [
        "missing store_id",
        "missing product_id",
        "unreadable date",
        "unreadable price",
        "impossible price",
        "impossible price",
    ]
