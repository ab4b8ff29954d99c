"""Turning the exported help center into clean, current, de-duplicated documents.

Each function is small and pure so that tests/test_cleaning.py can pin its behaviour.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd

TAG = re.compile(r"<[^>]+>")
BLOCK_TAG = re.compile(r"</?(?:p|div|li|ol|ul|h\d|br)\b[^>]*>", re.IGNORECASE)
# Boilerplate the help-center export adds around article bodies, one line each.
BOILERPLATE_LINES = (
    re.compile(r"^we use cookies\b", re.IGNORECASE),
    re.compile(r"^home\s*>\s*help center\b", re.IGNORECASE),
    re.compile(r"^was this article helpful\?", re.IGNORECASE),
    re.compile(r"^related articles:", re.IGNORECASE),
)
TRAILING_NOTES = re.compile(r"\s*last reviewed by the support team\.?", re.IGNORECASE)
TITLE_MARKERS = re.compile(r"^\[archived\]\s*|\s*\(draft\)$", re.IGNORECASE)
MIN_BODY_WORDS = 12
"""Bodies shorter than this are placeholders ("Content coming soon.")."""
SAME_CONTENT = 0.6
"""Word-set overlap above which two versions are copies rather than different versions."""


def strip_markup(body: str) -> str:
    """HTML to text: block tags become line breaks, other tags vanish, entities decode."""
    text = BLOCK_TAG.sub("\n", body)
    text = TAG.sub(" ", text)
    text = html.unescape(text).replace("\xa0", " ")
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def strip_boilerplate(text: str) -> str:
    """Drop the banner, breadcrumb, footer and related-article lines."""
    kept = [
        line
        for line in text.splitlines()
        if not any(pattern.search(line.strip()) for pattern in BOILERPLATE_LINES)
    ]
    return TRAILING_NOTES.sub("", " ".join(kept)).strip()


def clean_body(body: object) -> str:
    if not isinstance(body, str):
        return ""
    return strip_boilerplate(strip_markup(body))


def title_key(title: object) -> str:
    """The title every version and copy of an article shares."""
    text = " ".join(str(title).split()).lower()
    return TITLE_MARKERS.sub("", text).strip()


def is_archived(title: object) -> bool:
    return str(title).strip().lower().startswith("[archived]")


def word_set(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def overlap(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


@dataclass
class Document:
    """One current article and the ids of its copies, best id first."""

    ids: list[str]
    title: str
    body: str
    area: str


def build_documents(articles: pd.DataFrame) -> tuple[list[Document], dict[str, str]]:
    """Group the articles into current documents.

    Articles sharing a title are one family: placeholders and archived versions are dropped,
    the newest remaining version is current, and other versions with (nearly) the same
    words are copies of it; older versions with different content are outdated and dropped.

    Returns:
        The documents and, for every dropped article id, why it was dropped.
    """
    frame = articles.copy()
    frame["clean"] = [clean_body(body) for body in frame["body"]]
    frame["key"] = [title_key(title) for title in frame["title"]]
    frame["date"] = pd.to_datetime(frame["updated_at"], errors="coerce")
    dropped: dict[str, str] = {}
    documents: list[Document] = []
    for _, family in frame.groupby("key", sort=True):
        usable = []
        for row in family.itertuples():
            if len(row.clean.split()) < MIN_BODY_WORDS:
                dropped[row.article_id] = "stub"
            elif is_archived(row.title):
                dropped[row.article_id] = "archived"
            else:
                usable.append(row)
        if not usable:
            continue
        usable.sort(key=lambda row: (row.date, row.article_id), reverse=True)
        newest = usable[0]
        newest_words = word_set(newest.clean)
        ids = [newest.article_id]
        for row in usable[1:]:
            if overlap(word_set(row.clean), newest_words) >= SAME_CONTENT:
                ids.append(row.article_id)
            else:
                dropped[row.article_id] = "outdated"
        area = " ".join(str(newest.product_area).split()).lower().replace(" & more", "")
        documents.append(Document(ids, " ".join(str(newest.title).split()), newest.clean, area))
    return documents, dropped
