"""Train the churn model: clean, deduplicate, check on a holdout, refit on everything."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from cleaning import ID_COLUMN, LEAKAGE_COLUMN, TARGET, categorical_mask, clean, features

SEED = 7


def make_model() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.03,
        max_iter=400,
        max_leaf_nodes=8,
        min_samples_leaf=50,
        l2_regularization=1.0,
        categorical_features=categorical_mask(),
        early_stopping=False,
        random_state=SEED,
    )


def main() -> None:
    started = time.perf_counter()
    data_dir = Path(os.environ.get("DATA_DIR", "/data/public"))
    model_dir = Path(os.environ.get("MODEL_DIR", "/model"))
    raw = pd.read_csv(data_dir / "train.csv")
    print(f"read {len(raw)} rows, {raw[ID_COLUMN].nunique()} customers")
    # Known only after the customer decided to leave (see cleaning.py): never a feature.
    raw = raw.drop(columns=[LEAKAGE_COLUMN], errors="ignore")

    # Exact copies first, then re-exports of the same customer with tiny differences.
    deduplicated = raw.drop_duplicates().drop_duplicates(subset=ID_COLUMN, keep="first")
    print(f"dropped {len(raw) - len(deduplicated)} duplicate rows")
    labels = deduplicated[TARGET].astype(int).to_numpy()
    matrix = features(clean(deduplicated.set_index(ID_COLUMN)))

    train_x, holdout_x, train_y, holdout_y = train_test_split(
        matrix, labels, test_size=0.2, stratify=labels, random_state=SEED
    )
    holdout_scores = make_model().fit(train_x, train_y).predict_proba(holdout_x)[:, 1]
    holdout_auc = roc_auc_score(holdout_y, holdout_scores)
    print(f"holdout ROC AUC: {holdout_auc:.4f}")

    model = make_model().fit(matrix, labels)
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / "model.pkl", "wb") as handle:
        pickle.dump(model, handle)
    elapsed = time.perf_counter() - started
    print(f"saved model to {model_dir}; churn rate {np.mean(labels):.3f}; {elapsed:.1f}s")


if __name__ == "__main__":
    main()
