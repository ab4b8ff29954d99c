"""Clean the articles, keep the newest real version of every title, index with TF-IDF."""

import os
import pickle

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from textprep import clean, title_key

articles = pd.read_csv(os.path.join(os.environ["DATA_DIR"], "articles.csv"))
articles["text"] = articles["body"].map(clean)
articles["key"] = articles["title"].map(title_key)
articles["date"] = pd.to_datetime(articles["updated_at"])
articles["archived"] = articles["title"].str.strip().str.lower().str.startswith("[archived]")

# Drop placeholders and archived copies, then keep the newest article of each title.
real = articles[(articles["text"].str.split().str.len() >= 10) & ~articles["archived"]]
latest = real.sort_values("date", ascending=False).drop_duplicates("key")
print(f"{len(articles)} articles, {len(latest)} after removing stubs and old versions")

text = (latest["key"] + " " + latest["key"] + " " + latest["text"]).tolist()
words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
model = {
    "ids": latest["article_id"].tolist(),
    "words": words,
    "chars": chars,
    "word_matrix": words.fit_transform(text),
    "char_matrix": chars.fit_transform(text),
}
with open(os.path.join(os.environ["MODEL_DIR"], "model.pkl"), "wb") as handle:
    pickle.dump(model, handle)
