"""Notebooks are committed without outputs, with exactly one parameters cell, open with what their
area means, and hold no logic beyond calling iamkit.report helpers."""

from __future__ import annotations

import json
import re

import pytest

from iamkit.report.render import AREAS
from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_is_a_notebook_per_report_area():
    assert {p.stem for p in NOTEBOOKS} == {a.notebook for a in AREAS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a code cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    src = "".join(tagged[0]["source"])
    for name in ("account_id", "evidence_dir", "output_dir", "parameters_files", "thresholds"):
        assert re.search(rf"^{name} = ", src, re.M), name
    assert "secret" not in src.lower() and "profile" not in src.lower()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_the_area_and_why_it_matters(path):
    nb = json.loads(path.read_text())
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    text = "".join(first["source"])
    title = next(a.title for a in AREAS if a.notebook == path.stem)
    assert text.startswith(f"# {title}")
    assert len(text.split()) > 60, "explain what the area means and why it matters"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_logic_beyond_calling_iamkit(path):
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for line in code.splitlines():
        if line.startswith(("import ", "from ")):
            assert line.startswith("from iamkit.report import"), line
    for word in (r"\bdef\b", r"\bclass\b", r"^\s*for\b", r"^\s*while\b", r"^\s*if\b", "boto3", "pandas", r"\bopen\("):
        assert not re.search(word, code, re.M), f"{path.name}: {word}"
    assert "nb.load(" in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chart_has_a_title_and_a_reading(path):
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for call in re.findall(r"nb\.show_chart\((.*?)\)\s*$", code, re.S | re.M):
        args = call.split(",")
        assert args[0].strip().startswith('"') and len(args[0].strip()) > 5
    assert code.count("nb.show_chart(") == len(re.findall(r"nb\.show_chart\(\"[^\"]{5,}\"", code))
