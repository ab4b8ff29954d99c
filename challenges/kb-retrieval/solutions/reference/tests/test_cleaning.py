"""Behaviour of the cleaning and versioning steps on small hand-made articles."""

from __future__ import annotations

import pandas as pd

from cleaning import build_documents, clean_body, title_key

BODY = (
    "Open Settings > Billing > Invoices. Find invoices and click Export. Billing changes "
    "take effect from your next billing cycle. Changes are saved automatically."
)


def article(identifier: str, title: str, body: str | None, updated_at: str) -> dict[str, object]:
    return {
        "article_id": identifier,
        "title": title,
        "body": body,
        "product_area": "Billing",
        "updated_at": updated_at,
    }


def test_markup_entities_and_boilerplate_are_removed() -> None:
    body = (
        '<div class="article-body"><p>We use cookies to improve your experience. Accept all '
        "cookies | Manage preferences</p><p>Open Settings &gt; Billing &amp; more.</p>"
        "<p>Related articles: How to delete webhook | How to add API key</p>"
        "<p>Was this article helpful? Yes No. 3 out of 4 found this helpful.</p></div>"
    )
    assert clean_body(body) == "Open Settings > Billing & more."
    assert clean_body(None) == ""


def test_title_key_ignores_casing_spacing_and_markers() -> None:
    assert title_key("  How  to  EXPORT invoices ") == "how to export invoices"
    assert title_key("[Archived] How to export invoices") == "how to export invoices"
    assert title_key("How to export invoices (draft)") == "how to export invoices"


def test_versions_fold_into_the_newest_real_article_with_its_copies() -> None:
    articles = pd.DataFrame(
        [
            article("KB1", "How to export invoices", BODY, "2024-05-01"),
            article("KB2", "HOW TO EXPORT INVOICES", f"<p>{BODY}</p>", "2024-03-01"),
            article(
                "KB3",
                "How to export invoices",
                "Want to download your bills? Go to Preferences > Billing history in the "
                "classic interface and press Download. This applies to version 3.",
                "2021-01-01",
            ),
            article("KB4", "How to export invoices (draft)", "Content coming soon.", "2025-09-01"),
            article("KB5", "[Archived] How to export invoices", BODY, "2020-01-01"),
        ]
    )
    documents, dropped = build_documents(articles)
    assert [document.ids for document in documents] == [["KB1", "KB2"]]
    assert dropped == {"KB3": "outdated", "KB4": "stub", "KB5": "archived"}
