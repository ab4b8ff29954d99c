"""Train the ticket router: clean the text, deduplicate, check on a holdout, refit on all."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_union
from sklearn.svm import LinearSVC

from cleaning import ID_COLUMN, LEAKAGE_COLUMN, TARGET, documents

SEED = 7


def make_model() -> Pipeline:
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    # Character n-grams inside words survive typos and carry over between related languages.
    characters = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=120_000
    )
    return Pipeline(
        [
            ("features", make_union(words, characters)),
            ("classifier", LinearSVC(C=0.5, class_weight="balanced", random_state=SEED)),
        ]
    )


def main() -> None:
    started = time.perf_counter()
    data_dir = Path(os.environ.get("DATA_DIR", "/data/public"))
    model_dir = Path(os.environ.get("MODEL_DIR", "/model"))
    raw = pd.read_csv(data_dir / "train.csv", dtype={ID_COLUMN: str})
    print(f"read {len(raw)} rows, {raw[ID_COLUMN].nunique()} tickets")
    # The reply macro is written by the team that handled the ticket: never a feature.
    raw = raw.drop(columns=[LEAKAGE_COLUMN], errors="ignore")
    # Double exports and double submissions (a stray space apart) share the ticket id.
    deduplicated = raw.drop_duplicates(subset=ID_COLUMN, keep="first")
    print(f"dropped {len(raw) - len(deduplicated)} duplicate rows")
    texts, labels = documents(deduplicated), deduplicated[TARGET].to_numpy()

    train_x, holdout_x, train_y, holdout_y = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=SEED
    )
    predicted = make_model().fit(train_x, train_y).predict(holdout_x)
    print(f"holdout macro F1: {f1_score(holdout_y, predicted, average='macro'):.4f}")
    print(classification_report(holdout_y, predicted, digits=3))

    model = make_model().fit(texts, labels)
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / "model.pkl", "wb") as handle:
        pickle.dump(model, handle)
    print(f"saved model to {model_dir}; {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
