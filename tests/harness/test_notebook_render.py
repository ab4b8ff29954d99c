"""The notebook fragment for assessors: nothing active from the candidate survives, large
outputs are cut, and the cells the harness marked carry their banner."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

import html5lib
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from reports.notebook import render_notebook

ACTIVE_TAGS = {
    "script", "iframe", "frame", "object", "embed", "svg", "math", "style", "link", "meta",
    "base", "form", "input", "button", "textarea", "video", "audio", "template", "noscript",
}  # fmt: skip
SVG_WITH_SCRIPT = (
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
    '<circle r="4"/></svg>'
)


def hostile_notebook() -> Any:
    markdown = new_markdown_cell(
        "# Findings\n\n<script>alert('md')</script>\n\n"
        '<img src="x" onerror="alert(3)"> <a href="java&#x09;script:alert(4)">click</a> '
        '<a href=" JAVASCRIPT:alert(5)">again</a> <a href="https://example.com/doc">docs</a>\n\n'
        '<iframe src="https://evil.example"></iframe><form action="https://evil.example">'
        '<input name="q"></form><style>body{background:url(https://evil.example/x.png)}</style>\n\n'
        '<div style="background:url(https://evil.example/y.png)" onclick="alert(6)" id="report">'
        "styled</div>\n\n![tracker](https://evil.example/pixel.gif)\n\n" + SVG_WITH_SCRIPT
    )
    code = new_code_cell("show()")
    code.outputs = [
        new_output(
            "display_data",
            data={
                "text/html": '<table class="dataframe"><tr><td>0.87</td></tr></table>'
                '<script>steal()</script><img src="https://evil.example/t.png">'
                '<a href="data:text/html,<script>alert(7)</script>">data link</a>',
                "text/plain": "table",
            },
        ),
        new_output(
            "display_data",
            data={"application/javascript": "alert(8)", "text/plain": "<IPython.Javascript>"},
        ),
        new_output("display_data", data={"image/svg+xml": SVG_WITH_SCRIPT}),
        new_output(
            "display_data",
            data={"image/png": base64.b64encode(b"\x89PNG fake").decode(), "text/plain": "fig"},
        ),
        new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"a": 1}}),
        new_output("stream", name="stdout", text="x" * 50_000),
    ]
    document = new_notebook(cells=[markdown, code])
    document.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    document.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}
    }
    return document


def parse(fragment: str) -> Any:
    return html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)


def elements(tree: Any) -> list[Any]:
    return [element for element in tree.iter() if isinstance(element.tag, str)]


def test_no_active_content_from_the_candidate_survives(tmp_path: Path) -> None:
    path = tmp_path / "hostile.ipynb"
    path.write_text(nbformat.writes(hostile_notebook()))

    fragment = render_notebook(path, max_output_chars=1000)

    tree = parse(fragment)
    found = elements(tree)
    assert found, "the fragment is empty"
    assert not {element.tag.lower() for element in found} & ACTIVE_TAGS
    for element in found:
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert name.lower() not in ("style", "id", "name", "srcset", "action"), name
            compact = re.sub(r"[\x00-\x20]+", "", html.unescape(value)).lower()
            assert "javascript:" not in compact and "vbscript:" not in compact, value
            if name.lower() == "src":
                assert element.tag == "img" and compact.startswith("data:image/"), value
            if name.lower() == "href":
                assert compact.startswith(("https://", "http://", "mailto:", "#")), value
    assert "evil.example" not in fragment
    assert "alert(" not in fragment and "steal()" not in fragment


def test_legitimate_content_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "hostile.ipynb"
    path.write_text(nbformat.writes(hostile_notebook()))

    tree = parse(render_notebook(path, max_output_chars=1000))
    text = "".join(tree.itertext())

    assert "Findings" in text and "styled" in text and "0.87" in text and "show()" in text
    assert "[image not shown: tracker]" in text
    links = [element.attrib["href"] for element in tree.iter("a") if "href" in element.attrib]
    assert "https://example.com/doc" in links
    images = [element.attrib["src"] for element in tree.iter("img")]
    assert any(src.startswith("data:image/png;base64,") for src in images)
    assert any(src.startswith("data:image/svg+xml;base64,") for src in images)
    assert "49000 more characters not shown" in text
    assert "output not shown (application/vnd.jupyter.widget-view+json)" in text


def test_harness_statuses_are_shown_on_the_cells(tmp_path: Path) -> None:
    failed, skipped = new_code_cell("1 / 0"), new_code_cell("print('after')")
    failed.metadata["worksample_harness"] = {"cell": 1, "status": "failed"}
    failed.outputs = [
        new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
        )
    ]
    skipped.metadata["worksample_harness"] = {"cell": 2, "status": "not_run"}
    path = tmp_path / "executed.ipynb"
    path.write_text(nbformat.writes(new_notebook(cells=[failed, skipped])))

    text = "".join(parse(render_notebook(path)).itertext())

    assert "ZeroDivisionError" in text
    assert "this cell failed: execution stopped here" in text
    assert "not run: an earlier cell stopped the notebook" in text


def test_an_unreadable_notebook_renders_an_explanation(tmp_path: Path) -> None:
    path = tmp_path / "broken <b>.ipynb"
    path.write_text('{"cells": [')
    fragment = render_notebook(path)
    assert "cannot be shown: not a readable notebook" in fragment
    assert "<b>" not in fragment
