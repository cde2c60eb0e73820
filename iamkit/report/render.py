"""Execute the area notebooks (papermill), combine them into one report (nbconvert HTML) and print
it to PDF (headless Chromium).

Decisions:
* Each area notebook runs in its own kernel (isolated), with only non-secret parameters.
* The per-account report is the executed notebooks concatenated behind a cover and a table of
  contents, exported once with the ``iamkit`` nbconvert template: code hidden, nothing loaded from
  the network, plotly.js inlined once, tables sortable/searchable by a small inline script.
* The PDF is printed from that HTML by Chromium, so the two always show the same content: one
  browser per run (or per Dask worker process), every report a page in it (:mod:`iamkit.report.browser`).
* :func:`render_account` returns where its time went (per stage, per area notebook), which the
  runner records in run.json, including when the account was rendered on a Dask worker.
"""

from __future__ import annotations

import html
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
from plotly.offline import get_plotlyjs

from iamkit import __version__
from iamkit.errors import RenderError
from iamkit.evidence import atomic_write, iso
from iamkit.report import browser, kernels
from iamkit.report.areas import AREAS, Area  # noqa: F401  (re-exported: render.AREAS)
from iamkit.report.exporter import ReportExporter

TEMPLATES = Path(str(resources.files("iamkit.report").joinpath("templates")))


def notebooks_dir() -> Path:
    """``$IAMKIT_NOTEBOOKS`` or the repository's ``notebooks/`` beside the package."""
    env = os.environ.get("IAMKIT_NOTEBOOKS")
    cand = Path(env) if env else Path(__file__).resolve().parents[2] / "notebooks"
    if not all((cand / f"{a.notebook}.ipynb").is_file() for a in AREAS):
        raise RenderError(f"area notebooks not found in {cand}; set IAMKIT_NOTEBOOKS to the notebooks/ folder")
    return cand


def execute_notebook(name: str, out_path: Path, parameters: dict[str, Any], *, cwd: Path | None = None,
                     log: IO[str] | None = None, timeout: int = 600) -> Path:
    """Execute notebook ``name`` with ``parameters`` in a fresh kernel (its own process, never
    reused) and write the executed notebook to ``out_path`` atomically.

    papermill injects the parameters (its ``injected-parameters`` cell, as the papermill CLI does);
    nbclient runs the kernel so that its stderr goes to ``log`` (the account's log file) instead of
    the terminal. The executed notebook records its own run in ``metadata.iamkit``.
    """
    src = notebooks_dir() / f"{name}.ipynb"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    nb = parameterize_notebook(load_notebook_node(str(src)), parameters, kernel_name="python3",
                               language="python")
    started = datetime.now(UTC)
    log_path = getattr(log, "name", None) if log is not None else None
    forked = kernels.enabled()
    manager = (kernels.manager_class(log_path if isinstance(log_path, str) else None) if forked
               else kernels.ColdKernelManager)
    client = NotebookClient(nb, kernel_name="python3", timeout=timeout, startup_timeout=180,
                            shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(cwd or out_path.parent)}}, kernel_manager_class=manager)
    failed: str | None = None
    try:
        client.execute(stderr=log if log is not None else subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    except CellExecutionError as exc:
        failed = f"notebook {name} failed: {exc.ename}: {exc.evalue}".splitlines()[0]
    except Exception as exc:  # kernel died, timeout, zmq: the account fails with this reason
        raise RenderError(f"notebook {name} could not run: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    nb.metadata["iamkit"] = {"notebook": name, "parameters": parameters, "started_at": iso(started),
                             "kernel": "forked" if forked else "fresh",
                             "finished_at": iso(datetime.now(UTC)), "iamkit_version": __version__,
                             "status": "failed" if failed else "completed"}
    if failed:
        atomic_write(out_path.with_name(f"{out_path.stem}.failed.ipynb"), nbformat.writes(nb).encode())
        raise RenderError(failed)
    atomic_write(out_path, nbformat.writes(nb).encode())
    return out_path


def _md(source: str) -> Any:
    return nbformat.v4.new_markdown_cell(source)


def combine(executed: Sequence[tuple[Area, Path]], cover: dict[str, str]) -> Any:
    """One notebook: each area in order (the summary notebook draws the cover, scope and contents);
    every area starts with an anchor the contents and the index link to."""
    e = html.escape
    cells = []
    for area, path in executed:
        nb = nbformat.read(path, as_version=4)
        cells.append(_md(f'<div class="iamkit-area" id="area-{e(area.notebook)}"></div>'))
        for cell in nb.cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if "parameters" in tags or "injected-parameters" in tags or "notebook-only" in tags:
                continue
            if cell.cell_type == "code" and not cell.get("outputs"):
                continue
            cells.append(cell)
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata["title"] = cover["title"]
    out.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return out


@cache
def _assets() -> dict[str, str]:
    return {
        "iamkit_css": (TEMPLATES / "report.css").read_text(),
        "iamkit_js": (TEMPLATES / "report.js").read_text(),
        "plotly_js": get_plotlyjs(),
    }


def warm_up(pdf: bool) -> str | None:
    """Start this process's kernel fork server and, for PDFs, its browser, so that the first report does not
    wait for them: the runner calls it while it collects and assesses (in a thread, and on every Dask worker).
    Returns why one could not start (the runner writes it to the run's log), None when both started. Nothing is
    lost either way: the first report starts what is missing again and fails with the reason if it still cannot."""
    try:
        if kernels.enabled():
            kernels.SERVER.warm()
        if pdf:
            browser.printer().warm()
    except (RenderError, OSError, TimeoutError) as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def to_html(nb: Any) -> str:
    exporter = ReportExporter(template_name="iamkit", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources=dict(_assets()))
    return body


def write_html(nb: Any, path: Path) -> Path:
    atomic_write(path, to_html(nb).encode())
    return path


@dataclass
class Rendered:
    """What :func:`render_account` wrote, and the seconds it spent per stage and per area notebook."""

    html: Path
    pdf: Path | None
    timings: dict[str, float]
    notebooks: dict[str, float]


def render_account(*, account_id: str, evidence_dir: Path, out_dir: Path, cover: dict[str, str],
                   parameters_files: Sequence[str] = (), pdf: bool = True,
                   areas: Sequence[Area] = AREAS, baseline: str | None = None, log: IO[str] | None = None,
                   on_stage: Callable[[str], None] = lambda _s: None) -> Rendered:
    """Execute every area notebook for one account, write report.html (and report.pdf).
    ``on_stage`` is told "notebooks", "html" and "pdf" as each begins (for progress)."""
    nb_dir = out_dir / "notebooks"
    executed = []
    timings: dict[str, float] = {}
    per_area: dict[str, float] = {}
    on_stage("notebooks")
    t0 = time.monotonic()
    for area in areas:
        params = {"account_id": account_id, "evidence_dir": str(Path(evidence_dir).resolve()),
                  "output_dir": str(out_dir.resolve()), "parameters_files": [str(p) for p in parameters_files]}
        if area.notebook == "00_summary":
            params["baseline"] = str(Path(baseline).resolve()) if baseline else ""
        t_area = time.monotonic()
        executed.append((area, execute_notebook(area.notebook, nb_dir / f"{area.notebook}.ipynb", params,
                                                cwd=out_dir, log=log)))
        per_area[area.notebook] = round(time.monotonic() - t_area, 3)
    cover = {"title": f"IAM security assessment: account {account_id}", **cover,
             "iamkit version": __version__}
    cover.setdefault("Account", account_id)
    on_stage("html")
    t1 = time.monotonic()
    timings["notebooks"] = round(t1 - t0, 3)
    html_path = write_html(combine(executed, cover), out_dir / "report.html")
    t2 = time.monotonic()
    timings["html"] = round(t2 - t1, 3)
    pdf_path = None
    if pdf:
        on_stage("pdf")
        pdf_path = browser.print_pdf(html_path, out_dir / "report.pdf")
        timings["pdf"] = round(time.monotonic() - t2, 3)
    return Rendered(html_path, pdf_path, timings, per_area)
