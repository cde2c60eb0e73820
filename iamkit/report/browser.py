"""One headless Chromium per run that prints every report to PDF through the DevTools protocol.

Why: starting Chromium for each PDF (``chromium --headless --print-to-pdf``) costs a browser start,
a new profile and a fixed ``--virtual-time-budget`` per report. Here one browser is launched on the
first PDF of a run (or of a Dask worker process) and every report is a new page in it.

How:
* Playwright for Python drives the **system** Chromium (``executable_path``: ``$IAMKIT_CHROMIUM``,
  else ``chromium``/``chromium-browser``/``google-chrome`` on PATH). Playwright's own browser download
  (``playwright install``) is never needed.
* Playwright's API is bound to the thread that started it, while accounts render on a thread pool:
  the browser lives on one private asyncio loop thread; callers submit print jobs to it and wait.
  At most ``$IAMKIT_PDF_CONCURRENCY`` (default 2) pages print at once.
* Pages are kept and reused for the next report (a fresh page would compile plotly.js again), and each
  page always opens its report at the same address (a private folder per page, ``report.html`` a symbolic
  link to the report being printed): V8 reuses compiled scripts only for the same script at the same
  address, so plotly.js (3.5 MB inlined in every report) is compiled once per page, not once per report.
  Measured on the demo's reports: ~1.3-2.0 CPU s to load a report at its own address in a reused page,
  ~0.45 at the page's fixed address.
  Each is offline (no network: the report is self-contained), waits until every plotly chart
  has drawn, and is printed with the document outline (PDF bookmarks from the headings), tagged PDF,
  backgrounds, and the page size and margin boxes of the report's CSS ``@page`` rules.
* The table of contents gets its page numbers from a first print (:meth:`Printer._number_contents`).
  Both prints are tagged: Chromium builds the outline from the tagged structure (an untagged print has no
  outline to read the pages from).
* A browser that crashed or was killed is relaunched and the job retried once.
* :func:`shutdown` closes the browser (the runner calls it at the end of a run); Playwright's driver
  also closes it when this process exits or dies.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from iamkit.errors import RenderError
from iamkit.report import toc

LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-extensions"]
#: every plotly chart has drawn (its SVG exists) — what ``--virtual-time-budget`` used to wait for
CHARTS_DRAWN = ("() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                ".every(d => d.querySelector('.main-svg') !== null)")

#: at most this many prints after the first to make the contents' page numbers agree with the PDF
TOC_PRINTS = 3
#: the entries of the report's table of contents, and the script that writes their page numbers
TOC_TITLES = "() => Array.from(document.querySelectorAll('nav.iamkit-toc li > a')).map(a => a.textContent)"
TOC_NUMBER = """(pages) => document.querySelectorAll('nav.iamkit-toc li > a').forEach((a, i) => {
  let n = a.parentElement.querySelector('.toc-page');
  if (!n) { n = document.createElement('span'); n.className = 'toc-page'; a.parentElement.appendChild(n); }
  n.textContent = pages[i] ? 'p. ' + pages[i] : ''; })"""


def chromium() -> str | None:
    for name in (os.environ.get("IAMKIT_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def concurrency() -> int:
    try:
        return max(1, int(os.environ.get("IAMKIT_PDF_CONCURRENCY", "2")))
    except ValueError:
        raise RenderError("IAMKIT_PDF_CONCURRENCY must be a whole number") from None


class Printer:
    """A browser on its own event-loop thread; :meth:`print_pdf` is safe to call from any thread."""

    def __init__(self, executable: str, width: int) -> None:
        self.executable = executable
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="iamkit-browser", daemon=True)
        self.thread.start()
        self.sem = asyncio.Semaphore(width)
        self.launching = asyncio.Lock()
        self.pw: Any = None
        self.browser: Any = None
        self.context: Any = None
        self.idle: list[Any] = []
        self.launches = 0
        self.printed = 0
        self.toc_prints = 0  # prints made for the contents' page numbers
        self.slots_dir = Path(tempfile.mkdtemp(prefix="iamkit-print-"))
        self.slots: dict[Any, Path] = {}  # page -> its fixed address (a symbolic link to the report it prints)

    async def _browser(self) -> Any:
        async with self.launching:  # two pages asking at once get the same browser
            return await self._launch()

    async def _launch(self) -> Any:
        if self.browser is not None and self.browser.is_connected():
            return self.browser
        if self.pw is None:
            from playwright.async_api import async_playwright

            self.pw = await async_playwright().start()
        if self.browser is not None:  # crashed or killed: drop it and start another
            await self._close_browser()
        self.idle = []
        browser = await self.pw.chromium.launch(executable_path=self.executable, args=LAUNCH_ARGS, headless=True)
        self.context = await browser.new_context(offline=True)  # no network: the reports are self-contained
        self.browser = browser
        self.launches += 1
        return browser

    async def _close_browser(self) -> None:
        browser, self.browser, self.context, self.idle = self.browser, None, None, []
        self.slots = {}
        if browser is not None:
            try:
                await browser.close()
            except Exception as exc:  # noqa: BLE001 — already dead: nothing left to close
                if browser.is_connected():
                    raise RenderError(f"Chromium did not close: {exc}") from None

    async def _page(self) -> Any:
        """An idle page of the current browser, or a new one. Pages are reused on purpose: a new
        page is a new renderer process that compiles plotly.js again (~1.4 s per report measured);
        navigating to the next report gives it a new document (nothing of the previous report's
        page survives but V8's compiled-code cache)."""
        browser = await self._browser()
        while self.idle:
            page = self.idle.pop()
            if not page.is_closed() and browser.is_connected():
                return page
        return await self.context.new_page()

    def _slot(self, page: Any, html_path: Path) -> str:
        """The page's fixed address, now pointing at ``html_path`` (see the module docstring: same address,
        compiled plotly.js reused). The report's own folder is not needed: reports are self-contained."""
        slot = self.slots.get(page)
        if slot is None:
            slot = self.slots[page] = Path(tempfile.mkdtemp(dir=self.slots_dir)) / "report.html"
        slot.unlink(missing_ok=True)
        try:
            slot.symlink_to(html_path.resolve())
        except OSError:  # no symbolic links here (some file systems): a copy gives the same address
            shutil.copyfile(html_path, slot)
        return slot.as_uri()

    async def _print(self, html_path: Path, pdf_path: Path, timeout: float) -> None:
        async with self.sem:
            page = await self._page()
            try:
                await page.goto(self._slot(page, html_path), wait_until="load", timeout=timeout * 1000)
                await page.wait_for_function(CHARTS_DRAWN, timeout=timeout * 1000)
                await self._number_contents(page, pdf_path)
            except BaseException:
                self.slots.pop(page, None)
                if not page.is_closed() and self.browser is not None and self.browser.is_connected():
                    await page.close()  # a page that failed is not reused
                raise
            self.idle.append(page)
            self.printed += 1

    @staticmethod
    async def _pdf(page: Any, pdf_path: Path) -> None:
        await page.pdf(path=str(pdf_path), print_background=True, prefer_css_page_size=True,
                       outline=True, tagged=True, display_header_footer=False)

    async def _number_contents(self, page: Any, pdf_path: Path) -> None:
        """Print the page with page numbers in its table of contents (two-pass print, :mod:`iamkit.report.toc`):
        a first print tells where each heading landed; the numbers are written into the contents and the page
        printed again, until the printed PDF agrees with its contents (the contents end the cover page, so the
        numbers move nothing; but Chromium may place a heading at a page boundary differently from one print
        to the next). A report without contents is printed once."""
        titles = await page.evaluate(TOC_TITLES)
        if not titles:
            await self._pdf(page, pdf_path)
            return
        await self._pdf(page, pdf_path)
        self.toc_prints += 1
        pages = await asyncio.to_thread(toc.heading_pages, pdf_path, titles)
        for attempt in range(1, TOC_PRINTS + 1):
            await page.evaluate(TOC_NUMBER, pages)
            await self._pdf(page, pdf_path)
            printed = await asyncio.to_thread(toc.heading_pages, pdf_path, titles)
            if printed == pages or attempt == TOC_PRINTS:
                return
            self.toc_prints += 1
            pages = printed

    async def _print_retrying(self, html_path: Path, pdf_path: Path, timeout: float) -> None:
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        try:
            await self._print(html_path, pdf_path, timeout)
        except PlaywrightTimeout:
            raise
        except Exception:  # the browser or the page's renderer died under us: once more, on a new page
            await self._print(html_path, pdf_path, timeout)

    def warm(self, timeout: float = 60) -> None:
        """Launch the browser now (ahead of the first report: :func:`iamkit.report.render.warm_up`)."""
        asyncio.run_coroutine_threadsafe(self._browser(), self.loop).result(timeout=timeout)

    def print_pdf(self, html_path: Path, pdf_path: Path, *, timeout: float = 180) -> Path:
        tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
        fut: Future[None] = asyncio.run_coroutine_threadsafe(self._print_retrying(html_path, tmp, timeout),
                                                             self.loop)
        try:
            fut.result(timeout=timeout * 2 + 60)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise RenderError(f"Chromium failed to print {html_path.name}: {first}") from None
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise RenderError(f"Chromium printed nothing for {html_path.name}")
        os.replace(tmp, pdf_path)
        return pdf_path

    async def _stop(self) -> None:
        await self._close_browser()
        if self.pw is not None:
            await self.pw.stop()
            self.pw = None

    def close(self) -> None:
        if self.loop.is_closed():
            return
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=60)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
        self.loop.close()
        shutil.rmtree(self.slots_dir, ignore_errors=True)  # only links (or copies) of reports


_lock = threading.Lock()
_printer: Printer | None = None
STATS = {"launches": 0, "printed": 0, "seconds": 0.0}


def printer() -> Printer:
    """This process's printer, started on first use (one per run; one per Dask worker process)."""
    global _printer
    with _lock:
        if _printer is None:
            exe = chromium()
            if exe is None:
                raise RenderError("Chromium not found for PDF rendering: install Debian's 'chromium' "
                                  "(make demo does it as root) or pass --no-pdf")
            try:
                import playwright  # noqa: F401
            except ImportError:
                raise RenderError("PDF printing needs Playwright for Python (pip install playwright); "
                                  "no browser download is needed, or pass --no-pdf") from None
            _printer = Printer(exe, concurrency())
            atexit.register(shutdown)
        return _printer


def print_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 180) -> Path:
    """Print ``html_path`` to ``pdf_path`` (atomically) with this process's browser."""
    t0 = time.monotonic()
    out = printer().print_pdf(html_path, pdf_path, timeout=timeout)
    with _lock:
        STATS["printed"] += 1
        STATS["seconds"] += time.monotonic() - t0
    return out


def shutdown() -> dict[str, float]:
    """Close this process's browser (if one was started); returns and resets the print statistics."""
    global _printer
    with _lock:
        p, _printer = _printer, None
        stats = dict(STATS, launches=p.launches if p else 0, toc_prints=p.toc_prints if p else 0)
        STATS.update(launches=0, printed=0, seconds=0.0)
    if p is not None:
        p.close()
    return stats
