"""Build the retrieval index: clean the knowledge base, fold versions and copies into one
document each, attach the public questions to the documents they are answered by, and fit
word and character TF-IDF over the result."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pandas as pd

from cleaning import build_documents
from retrieval import Index


def main() -> None:
    started = time.perf_counter()
    data_dir, model_dir = Path(os.environ["DATA_DIR"]), Path(os.environ["MODEL_DIR"])
    articles = pd.read_csv(data_dir / "articles.csv", dtype=str, keep_default_na=False)
    questions = pd.read_csv(data_dir / "train_queries.csv", dtype=str, keep_default_na=False)
    documents, dropped = build_documents(articles)
    reasons = pd.Series(dropped, dtype=str).value_counts().to_dict()
    print(f"{len(articles)} articles -> {len(documents)} documents; dropped {reasons}")
    index = Index.fit(documents, questions)
    (model_dir / "index.pkl").write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    print(f"index built in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
