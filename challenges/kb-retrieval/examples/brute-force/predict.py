"""Exhaustive search: every call cleans every article and scores it against the question
with BM25 over words and fuzzy matching over character trigrams, in plain Python."""

import html
import math
import os
import re
from collections import Counter

import pandas as pd


def load(model_dir):
    return os.path.join(model_dir, "articles.csv")


def _words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def _trigrams(word):
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _clean(body):
    if not isinstance(body, str):
        return ""
    text = html.unescape(re.sub(r"<[^>]+>", "\n", body))
    lines = [
        line
        for line in text.splitlines()
        if not re.match(r"\s*(we use cookies|home > help|was this article|related articles)", line, re.I)
    ]
    return " ".join(lines)


def _corpus(path):
    articles = pd.read_csv(path)
    articles = articles.sort_values("updated_at", ascending=False)
    articles["text"] = articles["title"].fillna("") + " " + articles["body"].map(_clean)
    articles = articles[articles["text"].str.split().str.len() > 15]
    articles["key"] = articles["title"].str.lower().str.split().str.join(" ")
    articles = articles.drop_duplicates("key")
    return articles["article_id"].tolist(), [_words(text) for text in articles["text"]]


def _search(query, ids, documents):
    frequencies = Counter(word for document in documents for word in set(document))
    average = sum(len(document) for document in documents) / len(documents)
    vocabulary = {word: _trigrams(word) for word in frequencies}
    terms = []
    for word in _words(query):
        if word in frequencies:
            terms.append(word)
            continue
        # A typo: the known word sharing the most character trigrams.
        grams = _trigrams(word)
        best = max(vocabulary, key=lambda known: len(grams & vocabulary[known]) / len(grams | vocabulary[known]))
        terms.append(best)
    scores = []
    for document in documents:
        counts = Counter(document)
        score = 0.0
        for term in terms:
            idf = math.log(1 + (len(documents) - frequencies[term] + 0.5) / (frequencies[term] + 0.5))
            tf = counts[term]
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(document) / average))
        scores.append(score)
    ranked = sorted(range(len(ids)), key=lambda index: -scores[index])
    return [ids[index] for index in ranked[:10]]


def predict(model, frame):
    ids, documents = _corpus(model)
    return [_search(query, ids, documents) for query in frame["query"].fillna("")]
