"""Estimate MRR@10 and recall@10 on the public questions with 5-fold cross-validation
(the query expansion is learnt on four folds and scored on the fifth), twice: folds of
random questions, and folds of whole topics (questions sharing their relevant ids), which
is what a question about a topic no public question covers looks like.

    DATA_DIR=path/to/data python3 evaluate.py
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from cleaning import build_documents
from retrieval import Index

FOLDS = 5
SEED = 7


def reciprocal_rank(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    return next((1 / rank for rank, item in enumerate(ranked[:k], 1) if item in relevant), 0.0)


def recall(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    return len(relevant & set(ranked[:k])) / len(relevant)


def main() -> None:
    data_dir = Path(os.environ["DATA_DIR"])
    articles = pd.read_csv(data_dir / "articles.csv", dtype=str, keep_default_na=False)
    questions = pd.read_csv(data_dir / "train_queries.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(SEED)
    topics = questions["relevant_ids"].astype("category").cat.codes.to_numpy()
    schemes = {
        "random questions": rng.integers(FOLDS, size=len(questions)),
        "held-out topics": rng.integers(FOLDS, size=topics.max() + 1)[topics],
    }
    for name, folds in schemes.items():
        scores = cross_validate(articles, questions, folds)
        spread = 1.96 * scores.std(axis=0) / np.sqrt(len(scores))
        print(
            f"{name}: MRR@10 {scores[:, 0].mean():.3f} ± {spread[0]:.3f}, "
            f"recall@10 {scores[:, 1].mean():.3f} ± {spread[1]:.3f}"
        )


def cross_validate(
    articles: pd.DataFrame, questions: pd.DataFrame, folds: np.ndarray
) -> np.ndarray:
    """Per held-out question: reciprocal rank and recall at 10."""
    rows = []
    for fold in range(FOLDS):
        documents, _ = build_documents(articles)
        index = Index.fit(documents, questions[folds != fold])
        held_out = questions[folds == fold]
        for relevant, ranked in zip(
            held_out["relevant_ids"], index.search(held_out["query"].tolist()), strict=True
        ):
            wanted = set(relevant.split())
            rows.append((reciprocal_rank(ranked, wanted), recall(ranked, wanted)))
    return np.array(rows)


if __name__ == "__main__":
    main()
