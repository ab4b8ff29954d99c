"""Data generator of the kb-retrieval challenge: a messy help-center knowledge base and the
questions users ask it.

The product is Larkdesk, a fictional project-management app. Every help topic is one thing
(an invoice, push notifications, the Slack integration, ...) and one action on it (turn on,
export, troubleshoot, ...), for things that behave differently per platform once per
platform. Each topic has one current article; the knowledge base around it is messy the way
exported help centers are:

- ``duplicates_exact``: the same article published again under another id;
- ``duplicates_near``: a copy with small edits (a sentence dropped or moved, other casing);
- ``outdated``: an older version of the article (the classic interface's menus and
  buttons), superseded by the current one but never unpublished. It often uses the words
  users use, so plain lexical retrieval tends to rank it first: a trap;
- ``stub``: placeholders that were never written (empty or "coming soon" bodies), dated
  after the real article and titled like it;
- ``boilerplate``: cookie banners, breadcrumbs, "Was this article helpful?" footers and
  "Related articles" blocks that name other topics;
- ``html``: bodies exported as HTML with tags and entities;
- ``category_spelling``: titles and product areas in inconsistent casing and spacing;
- ``typo``: questions typed with typos (train and hidden alike).

Release notes, which mention many features without explaining any, are in the knowledge
base too (never relevant). Questions paraphrase their topic with the words users use
(synonyms, another word order, filler). The relevant articles of a question are the current
article of its topic and its copies (exact and near duplicates, same content under another
id); an outdated version or a stub is never relevant.

The hidden questions include topics no public question asks about (``unseen_topics``). All
randomness comes from one ``numpy`` generator seeded by ``seed``.
"""

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from challenges import messy
from challenges.data import GeneratedData

PRODUCT = "Larkdesk"
ID_COLUMN = "query_id"
TARGET = "relevant_ids"
ARTICLE_COLUMNS = ("article_id", "title", "body", "product_area", "updated_at")
OUTDATED = "outdated"
STUB = "stub"
BOILERPLATE = "boilerplate"
HTML = "html"
TYPO = "typo"


@dataclass(frozen=True)
class Thing:
    """Something in the product that help articles are about."""

    name: str
    """What the help center calls it."""
    synonyms: tuple[str, ...]
    """What users call it."""
    menu: str
    """Its settings page (current interface)."""
    old_menu: str
    """Its settings page in the classic interface (outdated articles)."""
    actions: tuple[str, ...]
    per_platform: bool = False


@dataclass(frozen=True)
class Action:
    title: str
    """Verb phrase in article titles."""
    user: tuple[str, ...]
    """Verb phrases users type."""
    button: str
    old_button: str


@dataclass(frozen=True)
class Platform:
    title: str
    body: str
    user: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    number: int
    area: str
    thing: Thing
    action: str
    platform: str | None

    @property
    def title(self) -> str:
        suffix = f" {PLATFORMS[self.platform].title}" if self.platform else ""
        if self.action == "fix":
            return f"Troubleshooting {self.thing.name}{suffix}"
        return f"How to {ACTIONS[self.action].title} {self.thing.name}{suffix}"


ACTIONS: dict[str, Action] = {
    "enable": Action(
        "turn on",
        ("turn on", "enable", "activate", "switch on", "start using"),
        "Enable",
        "Activate",
    ),
    "disable": Action(
        "turn off",
        ("turn off", "disable", "deactivate", "switch off", "stop", "mute"),
        "Disable",
        "Deactivate",
    ),
    "change": Action(
        "change", ("change", "update", "edit", "modify", "switch"), "Edit", "Modify settings"
    ),
    "delete": Action(
        "delete",
        ("delete", "remove", "erase", "get rid of", "permanently delete"),
        "Delete",
        "Remove",
    ),
    "export": Action(
        "export",
        ("export", "download", "save a copy of", "back up", "get a copy of"),
        "Export",
        "Download",
    ),
    "add": Action("add", ("add", "create", "set up", "add a new", "make"), "Add", "New"),
    "fix": Action(
        "troubleshoot",
        ("fix", "troubleshoot", "repair", "solve problems with", "debug"),
        "Run diagnostics",
        "Repair",
    ),
}

PLATFORMS: dict[str, Platform] = {
    "web": Platform(
        "in the web app",
        "in the web app in your browser",
        ("in the browser", "on the website", "on desktop", "in chrome", "on my laptop", "web"),
    ),
    "ios": Platform(
        "on iOS",
        "in the app on iPhone and iPad (iOS)",
        ("on my iphone", "on ipad", "on ios", "on iphone", "in the iphone app", "apple phone"),
    ),
    "android": Platform(
        "on Android",
        "in the app on Android phones and tablets",
        ("on android", "on my samsung", "on my pixel", "android phone", "in the android app"),
    ),
}

AREAS: dict[str, tuple[Thing, ...]] = {
    "Billing": (
        Thing(
            "invoices",
            ("bills", "billing statements", "invoice pdf", "invoice"),
            "Invoices",
            "Billing history",
            ("export", "change", "fix", "delete"),
        ),
        Thing(
            "payment method",
            ("credit card", "card", "billing card", "payment details"),
            "Payment methods",
            "Card details",
            ("change", "add", "delete", "fix"),
        ),
        Thing(
            "subscription",
            ("plan", "membership", "paid plan", "license"),
            "Plan",
            "Account plan",
            ("change", "delete", "enable", "fix"),
        ),
        Thing(
            "tax ID",
            ("vat number", "tax number", "vat id", "company tax code"),
            "Tax details",
            "Company info",
            ("add", "change", "delete"),
        ),
        Thing(
            "billing contact",
            ("invoice email", "billing email", "finance contact"),
            "Billing contacts",
            "Billing address book",
            ("add", "change", "delete"),
        ),
    ),
    "Account": (
        Thing(
            "password",
            ("passcode", "login password", "pw", "pass word"),
            "Security",
            "Login settings",
            ("change", "fix", "export"),
        ),
        Thing(
            "email address",
            ("email", "login email", "e-mail", "mail address"),
            "Profile",
            "My details",
            ("change", "add", "fix"),
        ),
        Thing(
            "two-factor authentication",
            ("2fa", "two step verification", "mfa", "authenticator codes", "2-step login"),
            "Security",
            "Login settings",
            ("enable", "disable", "fix", "change"),
        ),
        Thing(
            "profile photo",
            ("avatar", "profile picture", "headshot", "my picture"),
            "Profile",
            "My details",
            ("change", "delete", "add"),
        ),
        Thing(
            "account",
            ("larkdesk account", "user account", "whole account", "acct"),
            "Account",
            "My account",
            ("delete", "export", "fix"),
        ),
        Thing(
            "display name",
            ("username", "name shown", "nickname", "handle"),
            "Profile",
            "My details",
            ("change", "fix"),
        ),
    ),
    "Notifications": (
        Thing(
            "push notifications",
            ("alerts", "push alerts", "pop-ups", "notification banners"),
            "Notifications",
            "Alerts",
            ("enable", "disable", "fix"),
            True,
        ),
        Thing(
            "email digest",
            ("daily summary email", "digest", "summary emails", "recap email"),
            "Notifications",
            "Email preferences",
            ("enable", "disable", "change"),
        ),
        Thing(
            "notification sounds",
            ("sounds", "alert tones", "ping sound", "chime"),
            "Notifications",
            "Alerts",
            ("enable", "disable", "change"),
            True,
        ),
        Thing(
            "do not disturb",
            ("quiet hours", "dnd", "focus mode", "mute schedule"),
            "Notifications",
            "Alerts",
            ("enable", "disable", "change"),
            True,
        ),
    ),
    "Integrations": (
        Thing(
            "Slack integration",
            ("slack", "slack app", "slack bot", "slack channel sync"),
            "Integrations",
            "Apps and add-ons",
            ("add", "delete", "fix", "change"),
        ),
        Thing(
            "Google Calendar sync",
            ("google calendar", "calendar sync", "gcal", "calendar connection"),
            "Integrations",
            "Apps and add-ons",
            ("enable", "disable", "fix"),
        ),
        Thing(
            "API key",
            ("api token", "access token", "developer key", "personal token"),
            "Developer",
            "API access",
            ("add", "delete", "change", "fix"),
        ),
        Thing(
            "webhook",
            ("callback url", "webhooks", "event hook", "http callback"),
            "Developer",
            "API access",
            ("add", "delete", "fix", "change"),
        ),
        Thing(
            "Zapier connection",
            ("zapier", "zaps", "zap", "automation with zapier"),
            "Integrations",
            "Apps and add-ons",
            ("add", "delete", "fix"),
        ),
    ),
    "Workspace": (
        Thing(
            "team member",
            ("user", "teammate", "colleague", "seat", "coworker"),
            "Members",
            "People",
            ("add", "delete", "change"),
        ),
        Thing(
            "workspace",
            ("team space", "organization", "org", "company space"),
            "Workspace",
            "Organization",
            ("add", "delete", "change", "export"),
        ),
        Thing(
            "guest access",
            ("guests", "external users", "client access", "outside collaborators"),
            "Members",
            "People",
            ("enable", "disable", "fix"),
        ),
        Thing(
            "user role",
            ("permissions", "admin rights", "access level", "admin role"),
            "Members",
            "People",
            ("change", "add", "fix"),
        ),
    ),
    "Projects": (
        Thing(
            "project",
            ("board", "project board", "kanban board", "projects"),
            "Projects",
            "Boards",
            ("add", "delete", "export", "change"),
        ),
        Thing(
            "task template",
            ("template", "task preset", "checklist template"),
            "Templates",
            "Presets",
            ("add", "delete", "change"),
        ),
        Thing(
            "recurring task",
            ("repeating task", "recurring to-do", "repeat task", "routine task"),
            "Tasks",
            "To-dos",
            ("add", "delete", "change", "fix"),
        ),
        Thing(
            "custom field",
            ("custom property", "extra field", "custom column", "field"),
            "Fields",
            "Columns",
            ("add", "delete", "change"),
        ),
        Thing(
            "archived projects",
            ("old projects", "project archive", "closed boards", "archive"),
            "Projects",
            "Boards",
            ("export", "delete", "fix"),
        ),
    ),
    "Data": (
        Thing(
            "CSV import",
            ("spreadsheet import", "csv upload", "import from excel", "bulk import"),
            "Import",
            "Data tools",
            ("add", "fix"),
        ),
        Thing(
            "data export",
            ("full backup", "workspace export", "data dump", "backup file"),
            "Export",
            "Data tools",
            ("add", "fix", "delete"),
        ),
        Thing(
            "attachments",
            ("files", "uploads", "attached files", "documents"),
            "Files",
            "Storage",
            ("add", "delete", "export", "fix"),
        ),
        Thing(
            "storage quota",
            ("storage limit", "disk space", "storage", "space left"),
            "Files",
            "Storage",
            ("change", "fix"),
        ),
    ),
    "Mobile": (
        Thing(
            "offline mode",
            ("offline access", "work offline", "no internet mode", "offline sync"),
            "Mobile",
            "Device",
            ("enable", "disable", "fix"),
            True,
        ),
        Thing(
            "dark mode",
            ("night mode", "dark theme", "black theme", "dark colors"),
            "Appearance",
            "Display",
            ("enable", "disable", "fix"),
            True,
        ),
        Thing(
            "home screen widget",
            ("widget", "home widget", "today widget", "shortcut widget"),
            "Mobile",
            "Device",
            ("add", "delete", "fix"),
            True,
        ),
        Thing(
            "app language",
            ("language", "app locale", "interface language", "translation"),
            "Appearance",
            "Display",
            ("change", "fix"),
            True,
        ),
    ),
    "Security": (
        Thing(
            "single sign-on",
            ("sso", "saml", "okta login", "azure ad login", "company login"),
            "Security",
            "Authentication",
            ("enable", "disable", "fix", "change"),
        ),
        Thing(
            "active sessions",
            ("login sessions", "logged in devices", "sessions", "signed in devices"),
            "Security",
            "Authentication",
            ("delete", "export", "fix"),
        ),
        Thing(
            "audit log",
            ("activity log", "security log", "event history", "access log"),
            "Security",
            "Compliance",
            ("export", "enable", "fix"),
        ),
        Thing(
            "IP allowlist",
            ("ip whitelist", "allowed ips", "ip restriction", "ip range"),
            "Security",
            "Compliance",
            ("add", "delete", "change", "enable"),
        ),
    ),
}

FILLER_SENTENCES = (
    "Changes are saved automatically.",
    "You can undo this from the activity panel for 30 days.",
    "Workspace owners can restrict who is allowed to do this.",
    "It can take a few minutes for the change to reach every device.",
    "If you are on the Free plan, some options may be greyed out.",
    "Admins receive an email whenever this setting changes.",
    "The same steps work for guests with editor permissions.",
    "Keyboard shortcuts for this screen are listed under Help > Shortcuts.",
)
AREA_DETAILS = {
    "Billing": "Billing changes take effect from your next billing cycle.",
    "Account": "For your security we may ask you to sign in again.",
    "Notifications": "Notification preferences are stored per device.",
    "Integrations": "You need admin rights in both tools to connect them.",
    "Workspace": "Only workspace owners and admins can manage members.",
    "Projects": "Everyone with access to the project sees the change.",
    "Data": "Large files are processed in the background.",
    "Mobile": "Update the app to the latest version before you start.",
    "Security": "Security settings apply to every member of the workspace.",
}
STUB_BODIES = (
    "",
    "Content coming soon.",
    "This article is being written. Check back later.",
    "TBD",
    "Draft - do not publish.",
)
COOKIE_BANNER = (
    "We use cookies to improve your experience. By continuing to browse you agree to our "
    "cookie policy. Accept all cookies | Manage preferences"
)
HELPFUL_FOOTER = (
    "Was this article helpful? Yes No. {yes} out of {total} found this helpful. "
    "Still need help? Contact Support"
)
BREADCRUMB = "Home > Help Center > {area} > Articles"
TEMPLATES = (
    "how do i {act} {my}{obj}{plat}",
    "how to {act} {obj}{plat}",
    "{act} {obj}{plat}",
    "where can i {act} {the}{obj}{plat}",
    "is there a way to {act} {my}{obj}{plat}",
    "i want to {act} {my}{obj}{plat}",
    "need to {act} {obj}{plat} asap",
    "can you help me {act} {my}{obj}{plat}",
    "{obj}{plat} - how do i {act} it",
    "what are the steps to {act} {the}{obj}{plat}",
    "{plat_lead}how can i {act} {obj}",
    "cannot figure out how to {act} {my}{obj}{plat}",
)
FIX_TEMPLATES = (
    "{obj} not working{plat}",
    "{obj} is broken{plat}",
    "problem with {my}{obj}{plat}",
    "{my}{obj} keeps failing{plat}",
    "how do i {act} {obj}{plat}",
    "{obj} stopped working{plat} what do i do",
    "{plat_lead}{obj} doesn't work",
    "getting error {code} with {obj}{plat}",
    "error {code}{plat}",
    "{obj} won't load{plat}",
)
OPENERS = ("", "", "", "", "hi, ", "hello - ", "quick question: ", "help! ")
CLOSERS = ("", "", "", "", "?", "?", " please", " thanks", "??", " thx")
KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vgn", "c": "xdv", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht",
    "h": "gjy", "i": "uok", "j": "hku", "k": "jli", "l": "kop", "m": "nj", "n": "bmh",
    "o": "ipl", "p": "ol", "q": "wa", "r": "eft", "s": "adw", "t": "rgy", "u": "yji",
    "v": "cbf", "w": "qes", "x": "zcs", "y": "tuh", "z": "xa",
}  # fmt: skip


def generate(
    seed: int,
    *,
    queries_per_topic: int = 11,
    unseen_topic_fraction: float = 0.15,
    unseen_queries_per_topic: int = 6,
    public_fraction: float = 0.55,
    typo_rate: float = 0.25,
) -> GeneratedData:
    """Generate the knowledge base, the public questions and the hidden ones.

    Args:
        seed: Seeds every random draw; the same seed gives identical frames.
        queries_per_topic: Questions drawn per topic that public questions ask about,
            split between public and hidden.
        unseen_topic_fraction: Share of topics asked about in the hidden set only.
        unseen_queries_per_topic: Hidden questions per such topic.
        public_fraction: Share of a seen topic's questions that are public.
        typo_rate: Share of questions typed with one or two typos.

    Returns:
        ``articles.csv`` and ``train_queries.csv`` (public), the hidden questions and their
        relevant article ids, four hidden slices and a data card of every injected problem.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    card = messy.DataCard()
    kb_card = card.for_split("train")  # the knowledge base is public
    topics = _topics()
    kb = _KnowledgeBase(rng, topics)
    articles, relevant = kb.build(kb_card)

    order = rng.permutation(len(topics))
    unseen_count = round(unseen_topic_fraction * len(topics))
    unseen = {topics[index].number for index in order[:unseen_count]}
    codes = kb.error_codes
    seen_text: set[str] = set()
    rows: list[dict[str, Any]] = []
    for topic in topics:
        count = unseen_queries_per_topic if topic.number in unseen else queries_per_topic
        for query in _questions(rng, topic, count, codes.get(topic.number), seen_text):
            rows.append({"topic": topic.number, "query": query})
    queries = pd.DataFrame(rows)
    numbers = rng.choice(np.arange(10_000, 100_000), size=len(queries), replace=False)
    queries.insert(0, ID_COLUMN, [f"Q{number}" for number in numbers])
    queries[TARGET] = [" ".join(relevant[topic]) for topic in queries["topic"]]

    public_mask = np.zeros(len(queries), dtype=bool)
    for topic, group in queries.groupby("topic", sort=True):
        if topic in unseen:
            continue
        positions = rng.permutation(group.index.to_numpy())
        public_mask[positions[: round(public_fraction * len(positions))]] = True
    train = queries[public_mask].reset_index(drop=True)
    evaluation = queries[~public_mask].reset_index(drop=True)
    train = _typos(train, rng, card.for_split("train"), typo_rate, seen_text)
    evaluation = _typos(evaluation, rng, card.for_split("eval"), typo_rate, seen_text)
    typo_ids = set(evaluation.loc[card.for_split("eval").affected_rows(TYPO), ID_COLUMN].tolist())
    train = train.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    evaluation = evaluation.sort_values(ID_COLUMN).reset_index(drop=True)

    outdated_topics = set(kb.outdated_topics)
    eval_topics = evaluation["topic"].to_numpy()
    ids = evaluation[ID_COLUMN]
    slices = {
        "typo_queries": sorted(typo_ids),
        "outdated_trap": ids[[topic in outdated_topics for topic in eval_topics]].tolist(),
        "duplicate_targets": ids[evaluation[TARGET].str.contains(" ")].tolist(),
        "unseen_topics": ids[[topic in unseen for topic in eval_topics]].tolist(),
    }
    train_public = train[[ID_COLUMN, "query", TARGET]]
    data_card: dict[str, Any] = {
        **card.to_dict(),
        "kinds": card.kinds(),
        "seed": seed,
        "product": PRODUCT,
        "rows": {
            "articles": len(articles),
            "topics": len(topics),
            "train_queries": len(train_public),
            "eval_queries": len(evaluation),
        },
        "relevance": (
            "the current article of the question's topic and its exact and near duplicates "
            "(same content, another id); outdated versions, stubs and release notes are "
            "never relevant"
        ),
        "unseen_topics": len(unseen),
        "relevant_per_query": {
            str(size): int(count)
            for size, count in sorted(queries[TARGET].str.count(" ").add(1).value_counts().items())
        },
        "slices": {name: len(members) for name, members in slices.items()},
    }
    return GeneratedData(
        public={"articles.csv": articles, "train_queries.csv": train_public},
        eval_features=evaluation[[ID_COLUMN, "query"]],
        eval_labels=evaluation[[ID_COLUMN, TARGET]],
        data_card=data_card,
        eval_slices=slices,
    )


def _topics() -> list[Topic]:
    """Every (thing, action) pair, once per platform for things that differ per platform."""
    topics: list[Topic] = []
    for area, things in AREAS.items():
        for thing in things:
            for action in thing.actions:
                if action not in ACTIONS:
                    raise ValueError(f"{thing.name}: unknown action {action!r}")
                platforms: tuple[str | None, ...] = (
                    tuple(PLATFORMS) if thing.per_platform else (None,)
                )
                for platform in platforms:
                    topics.append(Topic(len(topics), area, thing, action, platform))
    return topics


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _position(value: messy.JsonValue) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected a row position, got {value!r}")
    return value


class _KnowledgeBase:
    """Builds the articles: clean current versions first, then every kind of mess."""

    def __init__(self, rng: np.random.Generator, topics: list[Topic]) -> None:
        self.rng = rng
        self.topics = topics
        self.error_codes: dict[int, str] = {}
        self.outdated_topics: list[int] = []
        self.rows: list[dict[str, Any]] = []
        self.topic_of: list[int | None] = []
        self.role: list[str] = []

    def _add(self, row: dict[str, Any], topic: int | None, role: str) -> int:
        self.rows.append(row)
        self.topic_of.append(topic)
        self.role.append(role)
        return len(self.rows) - 1

    def _date(self, start: str, days: int) -> pd.Timestamp:
        return pd.Timestamp(start) + pd.Timedelta(days=int(self.rng.integers(days)))

    def _current_sentences(self, topic: Topic) -> list[str]:
        rng, thing, action = self.rng, topic.thing, ACTIONS[topic.action]
        where = f" {PLATFORMS[topic.platform].body}" if topic.platform else ""
        also = f" (some people call it {_pick(rng, thing.synonyms)})" if rng.random() < 0.5 else ""
        sentences = [
            f"This article explains how to {action.title} {thing.name}{where}{also}.",
            f"Open Settings > {topic.area} > {thing.menu}.",
            f"Find {thing.name} and click {action.button}.",
            AREA_DETAILS[topic.area],
        ]
        if topic.action == "fix":
            code = f"LD-{int(rng.integers(1000, 10000))}"
            self.error_codes[topic.number] = code
            sentences.append(
                f"If {thing.name} still fails or you see error {code}, sign out, sign in again "
                f"and check that the {PRODUCT} app is up to date."
            )
        sentences += [str(item) for item in rng.choice(FILLER_SENTENCES, 2, replace=False)]
        return sentences

    def _outdated_sentences(self, topic: Topic) -> list[str]:
        rng, thing, action = self.rng, topic.thing, ACTIONS[topic.action]
        where = f" {PLATFORMS[topic.platform].body}" if topic.platform else ""
        first, second = (str(name) for name in rng.choice(thing.synonyms, 2, replace=False))
        user_verb = _pick(rng, action.user)
        sentences = [
            f"Want to {user_verb} your {first}? This guide shows how to {action.title} "
            f"{thing.name}{where}.",
            f"Go to Preferences > {thing.old_menu} in the classic interface.",
            f"Select your {second} and press {action.old_button}.",
            f"Your {first} is updated once you log in again.",
        ]
        if rng.random() < 0.5:
            sentences.append(f"These steps apply to {PRODUCT} 3 and earlier.")
        return sentences

    def build(self, card: messy.DataCard) -> tuple[pd.DataFrame, dict[int, list[str]]]:
        rng, topics = self.rng, self.topics
        current: dict[int, int] = {}
        for topic in topics:
            body = " ".join(self._current_sentences(topic))
            current[topic.number] = self._add(
                {
                    "title": topic.title,
                    "body": body,
                    "product_area": topic.area,
                    "updated_at": self._date("2024-01-01", 600),
                },
                topic.number,
                "current",
            )
        self._release_notes(16)

        # Outdated versions: same title, older date, the classic interface's steps.
        chosen = rng.choice(len(topics), size=round(0.3 * len(topics)), replace=False)
        outdated_rows = []
        for index in sorted(chosen.tolist()):
            topic = topics[index]
            self.outdated_topics.append(topic.number)
            title = topic.title
            if rng.random() < 0.25:
                title = f"[Archived] {title}"
            outdated_rows.append(
                self._add(
                    {
                        "title": title,
                        "body": " ".join(self._outdated_sentences(topic)),
                        "product_area": topic.area,
                        "updated_at": self._date("2020-01-01", 1000),
                    },
                    topic.number,
                    "outdated",
                )
            )
        card.record(
            OUTDATED,
            ["title", "body", "updated_at"],
            len(outdated_rows),
            {"file": "articles.csv", "archived_prefix_rate": 0.25, "rows": outdated_rows},
            f"{len(outdated_rows)} outdated articles superseded by a newer version with the "
            "same title (older updated_at; a quarter marked [Archived])",
        )

        # Stubs: never written, dated after the real article, titled like it.
        stub_rows = []
        for index in sorted(rng.choice(len(topics), size=24, replace=False).tolist()):
            topic = topics[index]
            title = topic.title if rng.random() < 0.6 else f"{topic.title} (draft)"
            body = _pick(rng, STUB_BODIES)
            stub_rows.append(
                self._add(
                    {
                        "title": title,
                        "body": body if body else None,
                        "product_area": topic.area,
                        "updated_at": self._date("2025-09-01", 90),
                    },
                    topic.number,
                    "stub",
                )
            )
        card.record(
            STUB,
            ["body"],
            len(stub_rows),
            {"file": "articles.csv", "bodies": list(STUB_BODIES), "rows": stub_rows},
            f"{len(stub_rows)} stub articles with an empty or placeholder body, titled like a "
            "real topic and dated after it",
        )

        # Near duplicates of current articles: a sentence dropped or moved, a note added.
        near_rows = []
        copies: dict[int, list[int]] = {}
        for index in sorted(
            rng.choice(len(topics), size=round(0.14 * len(topics)), replace=False).tolist()
        ):
            topic = topics[index]
            source = self.rows[current[topic.number]]
            sentences = source["body"].split(". ")
            if rng.random() < 0.5 and len(sentences) > 4:
                del sentences[int(rng.integers(3, len(sentences)))]
            else:
                sentences.insert(1, sentences.pop(int(rng.integers(3, len(sentences)))))
            body = ". ".join(sentence.rstrip(".") for sentence in sentences) + "."
            if rng.random() < 0.5:
                body += " Last reviewed by the support team."
            row = self._add(
                {
                    "title": source["title"],
                    "body": body,
                    "product_area": source["product_area"],
                    "updated_at": source["updated_at"]
                    + pd.Timedelta(days=int(rng.integers(-60, 60))),
                },
                topic.number,
                "near_duplicate",
            )
            near_rows.append(row)
            copies.setdefault(topic.number, []).append(row)
        card.record(
            messy.DUPLICATES_NEAR,
            ["title", "body", "updated_at"],
            len(near_rows),
            {"file": "articles.csv", "rows": near_rows},
            f"{len(near_rows)} near-duplicate articles: a current article republished with a "
            "sentence dropped or moved, under another id (relevant like the original)",
        )

        self._mess(card)

        # Exact duplicates, after the mess: byte-identical rows under another id.
        eligible = [
            index for index, role in enumerate(self.role) if role in ("current", "near_duplicate")
        ]
        exact_sources = sorted(
            rng.choice(eligible, size=round(0.12 * len(topics)), replace=False).tolist()
        )
        others = [
            row for row, role in enumerate(self.role) if role in ("outdated", "release_notes")
        ]
        extra = sorted(rng.choice(others, size=6, replace=False).tolist())
        exact_rows: list[int] = []
        copied_from: list[int] = []
        for source_row in [*exact_sources, *extra]:
            topic = self.topic_of[source_row]
            role = self.role[source_row]
            if topic is not None and len(copies.get(topic, [])) >= 2:
                continue  # at most three relevant articles per question
            row = self._add(dict(self.rows[source_row]), topic, role)
            exact_rows.append(row)
            copied_from.append(source_row)
            if role in ("current", "near_duplicate") and topic is not None:
                copies.setdefault(topic, []).append(row)
        card.record(
            messy.DUPLICATES_EXACT,
            list(ARTICLE_COLUMNS[1:]),
            len(exact_rows),
            {"file": "articles.csv", "rows": exact_rows, "copied_from": copied_from},
            f"{len(exact_rows)} exact duplicate articles: identical title, body, area and date "
            "under another id",
        )

        # Ids, shuffled so that neither order nor id tells versions apart.
        numbers = rng.choice(np.arange(10_000, 100_000), size=len(self.rows), replace=False)
        article_ids = [f"KB{number}" for number in numbers]
        relevant = {
            topic.number: sorted(
                article_ids[row] for row in [current[topic.number], *copies.get(topic.number, [])]
            )
            for topic in topics
        }
        # Injections recorded row positions while the ids did not exist yet.
        for injection in card.injections:
            rows = injection.params.pop("rows", None)
            if isinstance(rows, list):
                named = sorted(article_ids[_position(row)] for row in rows)
                injection.params["article_ids"] = list[messy.JsonValue](named)
            copied = injection.params.pop("copied_from", None)
            if isinstance(copied, list):
                sources: list[messy.JsonValue] = [article_ids[_position(row)] for row in copied]
                injection.params["copied_from"] = sources
        frame = pd.DataFrame(self.rows)
        frame.insert(0, "article_id", article_ids)
        frame["updated_at"] = pd.to_datetime(frame["updated_at"]).dt.strftime("%Y-%m-%d")
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        return frame[list(ARTICLE_COLUMNS)], relevant

    def _release_notes(self, count: int) -> None:
        rng = self.rng
        for number in range(count):
            mentioned = rng.choice(len(self.topics), size=6, replace=False)
            lines = [
                f"{'Improved' if rng.random() < 0.5 else 'Fixed an issue with'} "
                f"{self.topics[index].thing.name}"
                + (f" {PLATFORMS[p].title}" if (p := self.topics[index].platform) else "")
                + "."
                for index in mentioned
            ]
            self._add(
                {
                    "title": f"Release notes: {PRODUCT} 4.{number + 1}",
                    "body": f"What's new in {PRODUCT} 4.{number + 1}. " + " ".join(lines),
                    "product_area": "Announcements",
                    "updated_at": self._date("2023-06-01", 800),
                },
                None,
                "release_notes",
            )

    def _mess(self, card: messy.DataCard) -> None:
        rng, rows = self.rng, self.rows
        count = len(rows)
        titles = [str(row["title"]) for row in rows]

        # Boilerplate around bodies; "Related articles" names other topics' titles.
        boiler = sorted(rng.choice(count, size=round(0.6 * count), replace=False).tolist())
        parts_used: dict[str, int] = {
            "cookie_banner": 0,
            "breadcrumb": 0,
            "footer": 0,
            "related": 0,
        }
        for row in boiler:
            body = rows[row]["body"] or ""
            if rng.random() < 0.5:
                body = f"{BREADCRUMB.format(area=rows[row]['product_area'])}\n{body}"
                parts_used["breadcrumb"] += 1
            if rng.random() < 0.4:
                body = f"{COOKIE_BANNER}\n{body}"
                parts_used["cookie_banner"] += 1
            if rng.random() < 0.6:
                related = rng.choice(count, size=3, replace=False)
                body += "\nRelated articles: " + " | ".join(titles[i] for i in related)
                parts_used["related"] += 1
            if rng.random() < 0.6:
                total = int(rng.integers(3, 200))
                body += "\n" + HELPFUL_FOOTER.format(yes=int(rng.integers(total + 1)), total=total)
                parts_used["footer"] += 1
            rows[row]["body"] = body
        card.record(
            BOILERPLATE,
            ["body"],
            len(boiler),
            {"file": "articles.csv", "parts": parts_used, "rows": boiler},
            f"boilerplate added to {len(boiler)} article bodies (cookie banner, breadcrumb, "
            "'Was this article helpful?' footer, related-article links)",
        )

        # HTML export: tags around sentences, entities for quotes, ampersands and '>'.
        marked = []
        for row in sorted(rng.choice(count, size=round(0.5 * count), replace=False).tolist()):
            body = rows[row]["body"]
            if not body:
                continue  # an empty page exports as an empty body
            marked.append(row)
            paragraphs = [html.escape(line, quote=True) for line in str(body).split("\n")]
            paragraphs = [
                p.replace(" ", "&nbsp;", 1) if rng.random() < 0.3 else p for p in paragraphs
            ]
            inner = "".join(
                f"<p>{p}</p>"
                if rng.random() < 0.7
                else f'<div class="kb-section"><span>{p}</span></div>'
                for p in paragraphs
            )
            rows[row]["body"] = f'<div class="article-body">{inner}</div>'
        card.record(
            HTML,
            ["body"],
            len(marked),
            {"file": "articles.csv", "rows": marked},
            f"{len(marked)} article bodies exported as HTML (tags and entities such as &amp;, &gt;, &nbsp;)",
        )

        # Inconsistent casing and spacing of titles.
        respelled = sorted(rng.choice(count, size=round(0.2 * count), replace=False).tolist())
        for row in respelled:
            title = str(rows[row]["title"])
            style = int(rng.integers(4))
            rows[row]["title"] = (
                title.upper(),
                title.lower(),
                f"  {title.replace(' ', '  ', 2)} ",
                title.title(),
            )[style]
        card.record(
            messy.CATEGORY_SPELLING,
            ["title"],
            len(respelled),
            {
                "file": "articles.csv",
                "styles": ["upper", "lower", "extra spaces", "title case"],
                "rows": respelled,
            },
            f"{len(respelled)} titles in another casing or with extra spaces",
        )
        frame = pd.DataFrame({"product_area": [row["product_area"] for row in rows]})
        areas = [*AREAS, "Announcements"]
        frame = messy.category_spelling(
            frame,
            rng,
            card,
            column="product_area",
            variants={area: [*messy.spelling_variants(area), f"{area} & more"] for area in areas},
            rate=0.2,
        )
        spelled = card.injections[-1]
        spelled.params["file"] = "articles.csv"
        spelled.params["rows"] = [
            int(row) for row in (spelled.rows if spelled.rows is not None else [])
        ]
        for row, area in zip(rows, frame["product_area"].tolist(), strict=True):
            row["product_area"] = area


def _questions(
    rng: np.random.Generator, topic: Topic, count: int, code: str | None, seen: set[str]
) -> list[str]:
    """``count`` distinct questions about ``topic`` (fewer if the phrasings run out)."""
    thing, action = topic.thing, ACTIONS[topic.action]
    questions: list[str] = []
    for _ in range(count * 30):
        if len(questions) == count:
            break
        obj = _pick(rng, thing.synonyms) if rng.random() < 0.65 else thing.name.lower()
        templates = FIX_TEMPLATES if topic.action == "fix" and rng.random() < 0.7 else TEMPLATES
        template = _pick(rng, templates)
        if "{code}" in template and code is None:
            continue
        plat = plat_lead = ""
        if topic.platform:
            phrase = _pick(rng, PLATFORMS[topic.platform].user)
            plat, plat_lead = f" {phrase}", f"{phrase}: "
            if "{plat_lead}" not in template and rng.random() < 0.3:
                template = "{plat_lead}" + template.replace("{plat}", "")
        elif "{plat_lead}" in template:
            template = template.replace("{plat_lead}", "")
        text = template.format(
            act=_pick(rng, action.user),
            obj=obj,
            my="my " if rng.random() < 0.6 else "",
            the="the " if rng.random() < 0.6 else "",
            plat=plat,
            plat_lead=plat_lead,
            code=code or "",
        )
        text = _pick(rng, OPENERS) + " ".join(text.split()) + _pick(rng, CLOSERS)
        if rng.random() < 0.3:
            text = text[0].upper() + text[1:]
        if _key(text) in seen:
            continue
        seen.add(_key(text))
        questions.append(text)
    return questions


def _key(question: str) -> str:
    """What makes two questions the same question."""
    return question.lower().strip(" ?!.")


def _typo(rng: np.random.Generator, word: str) -> str:
    position = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(4))
    if kind == 0:  # swap two neighbours
        return word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]
    if kind == 1:  # drop a letter
        return word[:position] + word[position + 1 :]
    if kind == 2:  # double a letter
        return word[:position] + word[position] + word[position:]
    neighbours = KEYBOARD_NEIGHBOURS.get(word[position].lower())
    if not neighbours:
        return word[:position] + word[position + 1 :]
    return word[:position] + _pick(rng, neighbours) + word[position + 1 :]


def _typos(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    card: messy.DataCard,
    rate: float,
    seen: set[str],
) -> pd.DataFrame:
    """Type one or two words of ``rate`` of the questions with a typo, unless the result
    would repeat a question in ``seen`` (every question, public or hidden, stays unique)."""
    chosen = np.flatnonzero(rng.random(len(frame)) < rate)
    result = frame.copy()
    changed = []
    for position in chosen:
        words = str(result.at[position, "query"]).split(" ")
        long_words = [
            index for index, word in enumerate(words) if len(word) >= 4 and word.isalpha()
        ]
        if not long_words:
            continue
        for index in rng.choice(
            long_words, size=min(len(long_words), int(rng.integers(1, 3))), replace=False
        ):
            words[index] = _typo(rng, words[index])
        text = " ".join(words)
        if _key(text) in seen:
            continue
        seen.add(_key(text))
        result.at[position, "query"] = text
        changed.append(int(position))
    card.record(
        TYPO,
        ["query"],
        len(changed),
        {"rate": rate, "query_ids": sorted(result.loc[changed, ID_COLUMN].tolist())},
        f"{len(changed)} questions typed with one or two typos (swapped, dropped, doubled or "
        "neighbouring letters)",
        rows=pd.Index(changed),
    )
    return result
