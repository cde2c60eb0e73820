"""One Chromium per run prints every PDF (Playwright on the system Chromium): outline, charts drawn,
several threads at once, a crashed browser replaced, nothing left running after shutdown."""

from __future__ import annotations

import contextlib
import threading

import psutil
import pytest
from plotly.offline import get_plotlyjs
from pypdf import PdfReader

from iamkit.report import browser

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser.chromium() is None, reason="no system Chromium to print with")]
pytest.importorskip("playwright", reason="PDF printing needs Playwright for Python")

CHART = """<div id="c" class="plotly-graph-div" style="width:400px;height:300px"></div>
<script>Plotly.newPlot("c", [{type: "bar", x: ["a", "b"], y: [1, 2]}], {title: {text: "Chart title %s"}});</script>"""


def page(tmp_path, n: int):
    path = tmp_path / f"r{n}.html"
    path.write_text(f"<html><head><script>{get_plotlyjs()}</script><style>@page {{ size: A5; }}</style></head>"
                    f"<body><h1>Report {n}</h1><p>intro</p><h2>Area one</h2>{CHART % n}"
                    f'<h2 style="break-before: page">Area two</h2><p>end</p></body></html>')
    return path


def _name(p: psutil.Process) -> str:
    try:
        return p.name().lower()
    except psutil.NoSuchProcess:  # exited between listing and reading (a renderer child of a killed browser)
        return ""


def chromiums() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "chrom" in _name(p) or "headless" in _name(p)]


@pytest.fixture
def fresh():
    browser.shutdown()
    yield
    browser.shutdown()


def test_pdf_has_outline_chart_and_css_page_size(tmp_path, fresh):
    pdf = browser.print_pdf(page(tmp_path, 1), tmp_path / "r1.pdf")
    reader = PdfReader(pdf)
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert titles == ["Report 1"]  # the h2s are nested under the h1
    nested = [o.title for o in reader.outline[1]] if len(reader.outline) > 1 else []
    assert nested == ["Area one", "Area two"]
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Chart title 1" in text  # plotly drew before the page was printed
    assert len(reader.pages) == 2
    assert round(float(reader.pages[0].mediabox.width)) == 420  # A5 from the CSS @page rule (148 mm)
    assert not list(tmp_path.glob(".*tmp"))


def test_one_browser_serves_every_thread(tmp_path, fresh):
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            browser.print_pdf(page(tmp_path, n), tmp_path / f"r{n}.pdf")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all((tmp_path / f"r{n}.pdf").stat().st_size > 0 for n in range(4))
    stats = browser.shutdown()
    assert stats["launches"] == 1 and stats["printed"] == 4


def test_a_killed_browser_is_replaced(tmp_path, fresh):
    browser.print_pdf(page(tmp_path, 1), tmp_path / "r1.pdf")
    procs = chromiums()
    assert procs, "the browser runs as a child of this process"
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):  # children die with their parent
            p.kill()
    psutil.wait_procs(procs, timeout=10)
    browser.print_pdf(page(tmp_path, 2), tmp_path / "r2.pdf")
    assert "Report 2" in PdfReader(tmp_path / "r2.pdf").pages[0].extract_text()
    assert browser.shutdown()["launches"] == 2


def test_shutdown_leaves_no_browser(tmp_path, fresh):
    browser.print_pdf(page(tmp_path, 1), tmp_path / "r1.pdf")
    assert chromiums()
    browser.shutdown()
    gone, alive = psutil.wait_procs(chromiums(), timeout=10)
    assert not alive
