"""TF-IDF on words and bigrams with logistic regression, after stripping the HTML."""

import os
import pickle
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline

from prep import texts

train = pd.read_csv(Path(os.environ["DATA_DIR"]) / "train.csv")
train = train.drop(columns=["first_reply_macro"]).drop_duplicates()
print(f"{len(train)} rows after dropping exact duplicates and the reply macro")

model = make_pipeline(
    TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
    LogisticRegression(C=10, max_iter=1000, class_weight="balanced"),
)
predicted = cross_val_predict(model, texts(train), train["team"], cv=3)
print(f"3-fold macro F1: {f1_score(train['team'], predicted, average='macro'):.3f}")
model.fit(texts(train), train["team"])
with open(Path(os.environ["MODEL_DIR"]) / "model.pkl", "wb") as handle:
    pickle.dump(model, handle)
