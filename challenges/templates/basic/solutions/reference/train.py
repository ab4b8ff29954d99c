"""Reference solution: normalise the segment spelling, impute, clip outliers, fit a
logistic regression."""

import os
import pickle
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from cleaning import NUMERIC, clean

data_dir = Path(os.environ.get("DATA_DIR", "/data/public"))
model_dir = Path(os.environ.get("MODEL_DIR", "/model"))

train = clean(pd.read_csv(data_dir / "train.csv"))
model = make_pipeline(
    ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
            (
                "segment",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                ["segment"],
            ),
        ]
    ),
    LogisticRegression(max_iter=1000),
)
model.fit(train[[*NUMERIC, "segment"]], train["label"])
model_dir.mkdir(parents=True, exist_ok=True)
with (model_dir / "model.pkl").open("wb") as handle:
    pickle.dump(model, handle)
print(f"trained on {len(train)} rows")
