"""Text preparation shared by training and prediction."""

import html
import re

TAGS = re.compile(r"<[^>]+>")


def texts(frame):
    subject = frame["subject"].fillna("")
    message = frame["message"].fillna("").map(lambda text: html.unescape(TAGS.sub(" ", text)))
    return (subject + " " + message).str.lower().tolist()
