"""Render a notebook for assessors as a sanitised HTML fragment.

Notebooks come from candidates, so the fragment must be inert wherever it is embedded:
nbconvert renders the cells (its ``basic`` template: body only, no MathJax or other
external scripts), then a whitelist keeps only text-formatting tags. Dropped with their
content: ``script``, ``style``, ``iframe``, ``object``, ``embed``, ``svg``, ``math``, forms,
media and every other tag not listed; kept attributes exclude event handlers, ``style``,
``id`` and ``name`` (no clobbering of the page's own scripts); links must be ``http(s)``,
``mailto`` or in-page; images must be inline ``data:`` PNG, JPEG, GIF, WebP or SVG (an SVG
in ``<img>`` runs no script). Nothing in the fragment loads anything from the network.

Large outputs are cut before rendering: each text output to ``max_output_chars``, each
image to :data:`MAX_IMAGE_CHARS`, each cell to :data:`MAX_OUTPUTS_PER_CELL` outputs.
Cells the harness marked in an executed notebook (``worksample_harness.status``) carry a
banner: the cell that failed, timed out or hit the output cap, and the cells not run.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

__all__ = ["MAX_IMAGE_CHARS", "MAX_OUTPUTS_PER_CELL", "NOTEBOOK_CSS", "render_notebook"]

DEFAULT_MAX_OUTPUT_CHARS = 20_000
MAX_IMAGE_CHARS = 3_000_000
MAX_OUTPUTS_PER_CELL = 50
MAX_SOURCE_CHARS = 100_000
MAX_NOTEBOOK_BYTES = 200 * 1024 * 1024
CELL_METADATA_KEY = "worksample_harness"

NOTEBOOK_CSS = """
.notebook { font-size: 0.9em; }
.notebook .cell { margin: 0.6em 0; }
.notebook .prompt { color: #777; font-family: monospace; min-width: 6em; }
.notebook .input_area, .notebook .highlight { background: #f6f8fa; border-radius: 3px; }
.notebook pre { white-space: pre-wrap; word-break: break-word; margin: 0; padding: 0.3em; }
.notebook .output_stderr, .notebook .output_error { background: #fdecea; }
.notebook img { max-width: 100%; }
.notebook .harness-banner { font-weight: bold; padding: 0.2em 0.4em; background: #fff3cd; }
.notebook .harness-not-run { opacity: 0.55; }
"""
"""Minimal styles for the classes the fragment uses; the embedding page may include it."""

_BANNERS = {
    "failed": "this cell failed: execution stopped here",
    "timeout": "this cell did not finish in time: execution stopped here",
    "output_limit": "this cell produced too much output: execution stopped here",
    "kernel_died": "the kernel died while this cell was running",
    "not_run": "not run: an earlier cell stopped the notebook",
}
_SHOWN_MIME_TYPES = (
    "text/html",
    "text/markdown",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "text/plain",
)

_ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd",
        "del", "details", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
        "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "tt", "u", "ul", "var",
    }
)  # fmt: skip
# Removed together with everything inside them (their content is code, styles or media).
_DROPPED_TAGS = frozenset(
    {
        "applet", "audio", "base", "button", "canvas", "embed", "form", "frame", "frameset",
        "head", "iframe", "input", "link", "math", "meta", "noembed", "noframes", "noscript",
        "object", "option", "param", "picture", "plaintext", "portal", "script", "select",
        "source", "style", "svg", "template", "textarea", "title", "track", "video", "xmp",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": frozenset({"class", "title", "lang", "dir"}),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "td": frozenset({"colspan", "rowspan", "align"}),
    "th": frozenset({"colspan", "rowspan", "align", "scope"}),
    "ol": frozenset({"start", "type"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
}
_IMAGE_DATA_URL = re.compile(
    r"^data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*$", re.IGNORECASE
)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")  # browsers ignore these inside a scheme
_SAFE_DIMENSION = re.compile(r"^\d{1,5}%?$")


def render_notebook(path: Path, *, max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS) -> str:
    """Render the notebook at ``path`` as a sanitised HTML fragment (never raises for a bad
    notebook: the fragment then says what is wrong with it).

    Args:
        path: A ``.ipynb`` file, as submitted or as executed by the harness.
        max_output_chars: Longest text output shown; longer ones are cut with a notice.
    """
    name = html.escape(path.name)
    try:
        notebook = _read(path)
    except ValueError as error:
        return (
            f'<div class="notebook notebook-error"><p>{name} cannot be shown: '
            f"{html.escape(str(error))}</p></div>"
        )
    _prepare(notebook, max_output_chars)
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", anchor_link_text="")  # type: ignore[no-untyped-call]
    body, _ = exporter.from_notebook_node(notebook)
    return f'<div class="notebook">{sanitise_html(body)}</div>'


def _read(path: Path) -> Any:
    import nbformat

    try:
        size = path.stat().st_size
    except OSError as error:
        raise ValueError(f"it cannot be read ({error.strerror})") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"it is {size} bytes, more than {MAX_NOTEBOOK_BYTES}")
    try:
        text = path.read_bytes().decode("utf-8", "replace")
        return nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except Exception as error:  # invalid JSON, unknown nbformat, unreadable file
        raise ValueError(f"not a readable notebook ({type(error).__name__})") from None


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… [{len(text) - limit} more characters not shown]"


def _notice(text: str) -> Any:
    import nbformat

    return nbformat.v4.new_output("stream", name="stderr", text=f"[harness] {text}\n")  # type: ignore[no-untyped-call]


def _prepare(notebook: Any, max_output_chars: int) -> None:
    """Cut large outputs and keep only data types the fragment can show inertly."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.source = _cut(_text(cell.get("source", "")), MAX_SOURCE_CHARS)
        cell.pop("attachments", None)  # markdown attachments would be inlined: not shown
        if cell.cell_type != "code":
            continue
        outputs = [_clean_output(output, max_output_chars) for output in cell.get("outputs", [])]
        if len(outputs) > MAX_OUTPUTS_PER_CELL:
            hidden = len(outputs) - MAX_OUTPUTS_PER_CELL
            outputs = [*outputs[:MAX_OUTPUTS_PER_CELL], _notice(f"{hidden} more outputs not shown")]
        stamp = cell.metadata.get(CELL_METADATA_KEY, {})
        status = stamp.get("status") if isinstance(stamp, dict) else None
        if isinstance(status, str) and status in _BANNERS:
            outputs.append(_notice(_BANNERS[status]))
        cell.outputs = outputs


def _clean_output(output: Any, max_output_chars: int) -> Any:
    kind = output.get("output_type")
    if kind == "stream":
        output.text = _cut(_text(output.get("text", "")), max_output_chars)
        return output
    if kind == "error":
        lines = [str(line) for line in output.get("traceback", [])]
        output.traceback = _cut("\n".join(lines), max_output_chars).split("\n")
        output.evalue = _cut(str(output.get("evalue", "")), 1000)
        return output
    if kind not in ("display_data", "execute_result"):
        return _notice(f"output of type {str(kind)[:40]!r} not shown")
    data = output.get("data", {})
    kept: dict[str, Any] = {}
    for mime in _SHOWN_MIME_TYPES:
        if mime not in data:
            continue
        value = _text(data[mime])
        if mime.startswith("image/"):
            if len(value) > MAX_IMAGE_CHARS:
                kept.setdefault("text/plain", f"[image of {len(value)} characters not shown]")
                continue
            if mime == "image/svg+xml":
                # Shown through <img>, where an SVG is a picture and runs nothing.
                import base64

                encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
                kept["text/html"] = f'<img src="data:image/svg+xml;base64,{encoded}" alt="SVG">'
                continue
            kept[mime] = re.sub(r"\s+", "", value)
        elif len(value) > max_output_chars:
            if mime == "text/plain":
                kept[mime] = _cut(value, max_output_chars)
            else:
                kept.setdefault(
                    "text/plain", f"[{mime} output of {len(value)} characters not shown]"
                )
        else:
            kept[mime] = value
    if not kept:
        types = ", ".join(sorted(str(key) for key in data)[:4]) or "no data"
        return _notice(f"output not shown ({types[:120]})")
    output.data = kept
    output.pop("metadata", None)
    output.metadata = {}
    return output


def _safe_href(value: str) -> str | None:
    compact = _URL_NOISE.sub("", html.unescape(value))
    lowered = compact.lower()
    if lowered.startswith(("http://", "https://", "mailto:")) or compact.startswith("#"):
        return value.strip()
    return None


def sanitise_html(fragment: str) -> str:
    """Keep only whitelisted tags and attributes of ``fragment`` (see the module docstring)."""
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction, Tag

    soup = BeautifulSoup(fragment, "html.parser")
    for special in soup.find_all(
        string=lambda text: isinstance(
            text, Comment | Declaration | Doctype | ProcessingInstruction
        )
    ):
        special.extract()
    for element in list(soup.find_all(True)):
        if not isinstance(element, Tag) or element.decomposed:
            continue
        name = (element.name or "").lower()
        if name in _DROPPED_TAGS or ":" in name:
            element.decompose()
            continue
        if name not in _ALLOWED_TAGS:
            element.unwrap()
            continue
        allowed = _ALLOWED_ATTRIBUTES["*"] | _ALLOWED_ATTRIBUTES.get(name, frozenset())
        for attribute in list(element.attrs):
            if attribute.lower() not in allowed:
                del element.attrs[attribute]
        if name == "a":
            href = _safe_href(_attribute(element, "href"))
            if href is None:
                element.attrs.pop("href", None)
            else:
                element["href"] = href
                element["rel"] = "noopener noreferrer nofollow"
        if name == "img":
            source = _attribute(element, "src")
            if not _IMAGE_DATA_URL.match(source):
                replacement = soup.new_tag("span")
                replacement["class"] = "harness-image-removed"
                alt = _attribute(element, "alt")
                replacement.string = f"[image not shown{': ' + alt[:100] if alt else ''}]"
                element.replace_with(replacement)
                continue
            for dimension in ("width", "height"):
                if dimension in element.attrs and not _SAFE_DIMENSION.match(
                    _attribute(element, dimension)
                ):
                    del element.attrs[dimension]
    return str(soup)


def _attribute(element: Any, name: str) -> str:
    value = element.attrs.get(name, "")
    return " ".join(value) if isinstance(value, list) else str(value)
