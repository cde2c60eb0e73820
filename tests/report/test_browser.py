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


def test_one_page_prints_each_report_from_its_fixed_address(tmp_path, fresh, monkeypatch):
    """Reports printed one after the other on one reused page (at the page's fixed address, for V8's code
    cache) each come out with their own content, never the previous report's."""
    monkeypatch.setenv("IAMKIT_PDF_CONCURRENCY", "1")
    for n in range(1, 4):
        browser.print_pdf(page(tmp_path, n), tmp_path / f"r{n}.pdf")
    p = browser.printer()
    assert len(p.slots) == 1  # one page, one address
    for n in range(1, 4):
        text = "".join(pg.extract_text() for pg in PdfReader(tmp_path / f"r{n}.pdf").pages)
        assert f"Report {n}" in text and f"Chart title {n}" in text
        assert all(f"Report {m}" not in text for m in range(1, 4) if m != n)
    slots_dir = p.slots_dir
    assert browser.shutdown()["printed"] == 3
    assert not slots_dir.exists()  # the links are removed with the browser


def _contents_page(tmp_path, n: int):
    path = tmp_path / f"t{n}.html"
    toc = '<nav class="iamkit-toc"><ol><li><a href="#a">Area one</a></li><li><a href="#b">Area two</a></li></ol></nav>'
    path.write_text(f"<html><head><style>@page {{ size: A5; }}</style></head><body><h1>Report {n}</h1>{toc}"
                    f'<h2 id="a" style="break-before: page">Area one</h2><p>x</p>'
                    f'<h2 id="b" style="break-before: page">Area two</h2><p>y</p></body></html>')
    return path


def test_contents_get_page_numbers_in_one_extra_print(tmp_path, fresh):
    pdf = browser.print_pdf(_contents_page(tmp_path, 1), tmp_path / "t1.pdf")
    reader = PdfReader(pdf)
    cover = reader.pages[0].extract_text()
    assert "p. 2" in cover and "p. 3" in cover  # each entry's page, from the first print's outline
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged (accessible PDF)
    assert browser.shutdown()["toc_prints"] == 1  # the first print; the numbers agreed with the second


def test_a_report_without_contents_is_printed_once_and_tagged(tmp_path, fresh):
    pdf = browser.print_pdf(page(tmp_path, 1), tmp_path / "r1.pdf")
    assert "/StructTreeRoot" in PdfReader(pdf).trailer["/Root"]
    assert browser.shutdown()["toc_prints"] == 0


def test_warm_up_starts_the_browser_and_fork_server_before_the_first_report(tmp_path, fresh, monkeypatch):
    from iamkit.report import kernels, render

    monkeypatch.setenv("IAMKIT_KERNELS", "fork")
    assert render.warm_up(pdf=True) is None  # both started
    assert chromiums() and kernels.SERVER.proc is not None and kernels.SERVER.proc.poll() is None
    browser.print_pdf(page(tmp_path, 1), tmp_path / "r1.pdf")
    assert browser.shutdown()["launches"] == 1  # the first report used the browser the warm-up launched
    kernels.SERVER.close()


def test_warm_up_without_chromium_loses_nothing(fresh, monkeypatch):
    from iamkit.report import render

    monkeypatch.setenv("IAMKIT_KERNELS", "fresh")
    monkeypatch.setattr(browser, "chromium", lambda: None)
    assert "Chromium not found" in render.warm_up(pdf=True)  # the run's log says so; the first PDF again
    with pytest.raises(browser.RenderError, match="Chromium not found"):
        browser.printer()
