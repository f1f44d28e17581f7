"""The documentation's examples run against the installed package.

Sphinx runs the user guide's figures (matplotlib's ``.. plot::`` directive, inside MyST's
```{eval-rst}``` blocks) when it builds the site, and a failing one is an error with -W; this
runs the same code in the suite, with the ```python blocks of the same pages, so a change that
breaks an example fails the tests, not only the docs build. A page's ```python blocks share one
namespace, in order (a later block may use an earlier one's names), as a reader pasting them
would; each figure's code runs on its own, as the plot directive runs it.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("guide/*.md")) + [DOCS / "coming_from.md", DOCS / "free_threading.md",
                                           DOCS / "index.md"]

FENCE = re.compile(r"^```(python|\{eval-rst\})[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
PLOT = re.compile(r"^\.\. plot::[ \t]*\n((?:[ \t]+:.*\n)*)\n?((?:(?:[ \t]+.*)?\n)*)", re.M)


def blocks(page):
    """The (kind, code) of each python block and each figure of a Markdown page, in order."""
    out = []
    for kind, body in FENCE.findall(page.read_text()):
        if kind == "python":
            out.append(("python", body))
        else:
            out.extend(("plot", textwrap.dedent(code)) for _, code in PLOT.findall(body + "\n"))
    return out


def test_the_guide_has_its_pages_and_figures():
    if not DOCS.is_dir():
        pytest.skip("not run from a source tree")
    names = {p.stem for p in DOCS.glob("guide/*.md")}
    assert {"index", "learning_rates", "momentum", "curvature", "newton", "constraints",
            "initialisation", "minibatches"} <= names
    for page in DOCS.glob("guide/*.md"):
        if page.stem != "index":
            assert any(kind == "plot" for kind, _ in blocks(page)), f"{page.name}: no figure"


@pytest.mark.parametrize("page", [p.relative_to(ROOT).as_posix() for p in PAGES])
def test_page_examples_run(page):
    path = ROOT / page
    if not path.is_file():
        pytest.skip("not run from a source tree")
    found = blocks(path)
    assert found, f"{page} has no example"
    close_figures = None
    if any(kind == "plot" for kind, _ in found):
        matplotlib = pytest.importorskip("matplotlib")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        close_figures = plt.close
    shared: dict = {"__name__": "__docs__"}
    for i, (kind, code) in enumerate(found):
        namespace = shared if kind == "python" else {"__name__": "__docs__"}
        try:
            exec(compile(code, f"{page}, block {i + 1}", "exec"), namespace)
        finally:
            if close_figures is not None:
                close_figures("all")
