"""Forked kernels (fork server) give the same executed notebook as a cold kernel, each notebook in
its own process."""

from __future__ import annotations

import json
import re

import pytest

from iamkit.report import kernels
from iamkit.report.render import execute_notebook
from tests.conftest import CRED_HEADER, root_row

pytestmark = pytest.mark.slow
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def outputs(path) -> list[str]:
    nb = json.loads(path.read_text())
    return [UUID.sub("UUID", json.dumps(c["outputs"], sort_keys=True)) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="POSIX only")
def test_forked_kernel_output_equals_cold_kernel(make_bundle, tmp_path, monkeypatch):
    bundle = make_bundle({"iam/credential_report.csv": CRED_HEADER + "\n" + root_row(mfa="false") + "\n"})
    params = {"account_id": "111122223333", "evidence_dir": str(bundle.parent), "output_dir": str(tmp_path),
              "parameters_files": []}
    log = (tmp_path / "log.txt").open("a")
    monkeypatch.setenv("IAMKIT_KERNELS", "fork")
    forked = [execute_notebook("05_root_usage", tmp_path / f"fork{i}.ipynb", params, log=log) for i in range(2)]
    monkeypatch.setenv("IAMKIT_KERNELS", "fresh")
    cold = execute_notebook("05_root_usage", tmp_path / "cold.ipynb", params, log=log)
    assert outputs(forked[0]) == outputs(cold) == outputs(forked[1])
    assert json.loads(forked[0].read_text())["metadata"]["iamkit"]["kernel"] == "forked"
    assert json.loads(cold.read_text())["metadata"]["iamkit"]["kernel"] == "fresh"
    assert "iam.root.mfa_enabled" in "".join(outputs(cold)).replace("<wbr>", "")


def test_each_notebook_gets_its_own_process(make_bundle, tmp_path, monkeypatch):
    """A notebook that leaves state behind (a global, a monkeypatched module) does not affect the next."""
    monkeypatch.setenv("IAMKIT_KERNELS", "fork")
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    def run(src: str) -> str:
        nb = new_notebook(cells=[new_code_cell(src)])
        NotebookClient(nb, kernel_name="python3", shutdown_kernel="immediate",
                       kernel_manager_class=kernels.manager_class(None)).execute()
        return "".join(o.get("text", "") for o in nb.cells[0].outputs)

    first = run("import os, iamkit.report.nb as m\nm.LEAK = 1\nLEFT = 2\nprint(os.getpid())")
    second = run("import os, iamkit.report.nb as m\nprint(os.getpid(), hasattr(m, 'LEAK'), 'LEFT' in globals())")
    pid2, leak, left = second.split()
    assert first.strip() != pid2 and leak == "False" and left == "False"


@pytest.mark.parametrize("manager", ["fork", "cold"])
def test_report_kernels_keep_no_history_database(manager, tmp_path, monkeypatch):
    """Report kernels, forked or cold, record no IPython history (cell sources hold the run's paths and
    parameters; one shared SQLite file would be locked by concurrent kernels)."""
    if manager == "fork" and not hasattr(__import__("os"), "fork"):
        pytest.skip("POSIX only")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("print(get_ipython().history_manager.enabled)")])
    cls = kernels.manager_class(None) if manager == "fork" else kernels.ColdKernelManager
    NotebookClient(nb, kernel_name="python3", shutdown_kernel="immediate", kernel_manager_class=cls).execute()
    assert "".join(o.get("text", "") for o in nb.cells[0].outputs).strip() == "False"
    assert not list((tmp_path / "ipython").rglob("history.sqlite"))
