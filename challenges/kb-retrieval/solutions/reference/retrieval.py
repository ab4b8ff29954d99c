"""The index: TF-IDF over words and character n-grams, with query terms corrected and
expanded by what the public questions teach about the help center's vocabulary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from cleaning import Document

TOP_K = 10
WORD_WEIGHT = 0.6
"""Share of the score from word n-grams; the rest comes from character n-grams."""
DISTINCT_FIRST = 5
"""Distinct documents listed before any copy."""
TITLE_REPEATS = 2
MIN_WORD_COUNT = 3
"""A question word must appear in this many public questions to be expanded."""
MIN_CONFIDENCE = 0.4
"""P(title word | question word) needed to add the title word to a question."""
MIN_LIFT = 3.0
"""... and how many times likelier than for a random question."""
MIN_CORRECTED_LENGTH = 4
"""Shorter unknown words are left alone: too many known words are one edit away."""
TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FILLER = frozenset(
    "hi hello help please thanks thx quick question how do can i to my the a is it what "
    "are steps there way want need asap you me".split()
)


def tokens(text: str) -> list[str]:
    return [word for word in TOKEN.findall(str(text).lower()) if word not in FILLER]


def deletions(word: str) -> set[str]:
    return {word[:position] + word[position + 1 :] for position in range(len(word))}


@dataclass
class Expansion:
    """Question word -> title words it reliably points to, learnt from public questions,
    and a spelling table for words one edit away from a known word."""

    vocabulary: set[str]
    table: dict[str, list[str]] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)
    """Known words and their one-letter deletions -> the known word (symmetric-delete
    spelling correction: a swapped, dropped, doubled or wrong letter is one lookup)."""

    def __post_init__(self) -> None:
        for word in sorted(self.vocabulary, key=lambda known: (-len(known), known)):
            if len(word) >= MIN_CORRECTED_LENGTH and word.isalpha():
                for variant in deletions(word):
                    self.spelling.setdefault(variant, word)
        for word in self.vocabulary:
            self.spelling[word] = word

    @classmethod
    def learn(cls, questions: list[str], titles: list[str], vocabulary: set[str]) -> Expansion:
        asked = CountVectorizer(tokenizer=tokens, token_pattern=None, binary=True, lowercase=False)
        answered = CountVectorizer(
            tokenizer=tokens, token_pattern=None, binary=True, lowercase=False
        )
        question_matrix = asked.fit_transform(questions)
        title_matrix = answered.fit_transform(titles)
        together = (question_matrix.T @ title_matrix).toarray()
        word_counts = np.asarray(question_matrix.sum(axis=0)).ravel()
        title_rates = np.asarray(title_matrix.mean(axis=0)).ravel()
        confidence = together / np.maximum(word_counts, 1)[:, None]
        lift = confidence / np.maximum(title_rates, 1e-9)[None, :]
        keep = (confidence >= MIN_CONFIDENCE) & (lift >= MIN_LIFT)
        keep &= (word_counts >= MIN_WORD_COUNT)[:, None]
        question_words = asked.get_feature_names_out()
        title_words = answered.get_feature_names_out()
        table: dict[str, list[str]] = {}
        for row, column in zip(*np.nonzero(keep), strict=True):
            table.setdefault(str(question_words[row]), []).append(str(title_words[column]))
        return cls(vocabulary | set(question_words), table)

    def correct(self, word: str) -> str:
        if word in self.vocabulary or len(word) < MIN_CORRECTED_LENGTH or not word.isalpha():
            return word
        for variant in [word, *sorted(deletions(word))]:
            if variant in self.spelling:
                return self.spelling[variant]
        return word

    def rewrite(self, text: str) -> str:
        words = [self.correct(word) for word in tokens(text)]
        added = [title for word in words for title in self.table.get(word, [])]
        return " ".join([*words, *added])


@dataclass
class Index:
    documents: list[Document]
    expansion: Expansion
    word: TfidfVectorizer
    char: TfidfVectorizer
    word_matrix: sparse.csr_matrix
    char_matrix: sparse.csr_matrix

    @classmethod
    def fit(cls, documents: list[Document], questions: pd.DataFrame) -> Index:
        """Learn the query expansion from the public questions, then fit both vectorisers."""
        position = {
            identifier: number for number, doc in enumerate(documents) for identifier in doc.ids
        }
        pairs = []
        for query, relevant in zip(questions["query"], questions["relevant_ids"], strict=True):
            hits = {
                position[identifier] for identifier in relevant.split() if identifier in position
            }
            pairs += [(query, hit) for hit in sorted(hits)]
        texts = [" ".join([*[doc.title] * TITLE_REPEATS, doc.area, doc.body]) for doc in documents]
        vocabulary = {word for text in texts for word in tokens(text)}
        expansion = Expansion.learn(
            [query for query, _ in pairs], [documents[hit].title for _, hit in pairs], vocabulary
        )
        # The questions teach vocabulary, not documents: attaching them to their documents
        # helps topics that public questions cover and buries the ones they do not.
        texts = [text.lower() for text in texts]
        word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
        return cls(
            documents, expansion, word, char, word.fit_transform(texts), char.fit_transform(texts)
        )

    def search(self, queries: list[str]) -> list[list[str]]:
        """The ranked article ids of each query: the five best documents, their copies, then
        the next five and their copies.

        Right after their original, copies would push the next answer down whenever the
        first one is wrong, which costs MRR; after the first five they still count for
        recall.
        """
        texts = [self.expansion.rewrite(query) for query in queries]
        scores = WORD_WEIGHT * (self.word.transform(texts) @ self.word_matrix.T).toarray()
        scores += (1 - WORD_WEIGHT) * (self.char.transform(texts) @ self.char_matrix.T).toarray()
        top = np.argsort(-scores, axis=1, kind="stable")[:, :TOP_K]
        ranked = []
        for row in top:
            ids = []
            for block in (row[:DISTINCT_FIRST], row[DISTINCT_FIRST:]):
                ids += [self.documents[hit].ids[0] for hit in block]
                ids += [identifier for hit in block for identifier in self.documents[hit].ids[1:]]
            ranked.append(ids)
        return ranked
