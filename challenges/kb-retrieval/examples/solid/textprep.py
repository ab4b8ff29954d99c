"""Cleaning the knowledge base before indexing it."""

import html
import re

TAGS = re.compile(r"<[^>]+>")
NOISE = re.compile(
    r"we use cookies.*?manage preferences|home > help center > [^\n]*?articles|"
    r"was this article helpful\?.*?contact support|related articles:[^\n]*",
    re.IGNORECASE | re.DOTALL,
)


def clean(text):
    if not isinstance(text, str):
        return ""
    text = html.unescape(TAGS.sub("\n", text))
    text = NOISE.sub(" ", text)
    return " ".join(text.split()).lower()


def title_key(title):
    title = " ".join(str(title).split()).lower()
    return re.sub(r"^\[archived\]\s*|\s*\(draft\)$", "", title)
