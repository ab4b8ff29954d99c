"""Churn model: light cleaning + logistic regression.

Run with DATA_DIR and MODEL_DIR set (see the statement).
"""
import os
import pickle

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from prep import CATEGORICAL, NUMERIC, prepare

DATA_DIR = os.environ.get("DATA_DIR", "/data/public")
MODEL_DIR = os.environ.get("MODEL_DIR", "/model")

df = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
print(f"loaded {len(df)} rows")
df = df.drop_duplicates()
print(f"{len(df)} rows after dropping exact duplicates")

X = prepare(df.drop(columns=["customer_id", "churned"]))
y = df["churned"].astype(int)

preprocess = ColumnTransformer(
    [
        (
            "num",
            Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())]),
            NUMERIC,
        ),
        (
            "cat",
            Pipeline(
                [
                    ("impute", SimpleImputer(strategy="constant", fill_value="unknown")),
                    ("onehot", OneHotEncoder(handle_unknown="ignore")),
                ]
            ),
            CATEGORICAL,
        ),
    ]
)
model = Pipeline([("prep", preprocess), ("clf", LogisticRegression(C=1.0, max_iter=2000))])

scores = cross_val_score(model, X, y, cv=5, scoring="roc_auc")
print(f"5-fold CV ROC AUC: {scores.mean():.4f} +/- {scores.std():.4f}")

model.fit(X, y)
os.makedirs(MODEL_DIR, exist_ok=True)
with open(os.path.join(MODEL_DIR, "model.pkl"), "wb") as f:
    pickle.dump(model, f)
print("model saved")
