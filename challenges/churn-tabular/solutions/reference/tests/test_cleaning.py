"""Checks of the cleaning rules against the problems found in train.csv."""

import numpy as np
import pandas as pd

from cleaning import canonical, clean, parse_dates, to_number
from predict import predict


def test_category_spellings_map_to_one_value():
    assert canonical("plan", " PRO ") == "Pro"
    assert canonical("plan", "Enterprize") == "Enterprise"
    assert canonical("region", "asia-pacific") == "APAC"
    assert np.isnan(canonical("plan", "platinum"))


def test_numbers_stored_as_text_are_parsed():
    values = to_number(pd.Series(["$1,234.50", "12", None, "n/a"]))
    assert values[0] == 1234.5 and values[1] == 12
    assert np.isnan(values[2]) and np.isnan(values[3])


def test_every_date_format_and_offset_is_read():
    dates = parse_dates(pd.Series(["2023-01-31", "01/31/2023", "31.01.2023", "31 Jan 2023", "2023-01-31T23:30:00+02:00"]))
    assert dates.dt.strftime("%Y-%m-%d").tolist() == ["2023-01-31"] * 5


def test_cents_from_the_v1_billing_system_become_dollars():
    frame = pd.DataFrame({"monthly_spend": [4900, 49], "billing_system": ["v1", "v2"], "seats": [5, 5]})
    assert clean(frame)["monthly_spend"].tolist() == [49.0, 49.0]


def test_a_single_row_with_missing_columns_still_predicts():
    class Constant:
        def predict_proba(self, features):
            return np.tile([0.7, 0.3], (len(features), 1))

    row = pd.DataFrame({"plan": ["pro"]}, index=pd.Index(["C1"], name="customer_id"))
    assert predict(Constant(), row).tolist() == [0.3]
