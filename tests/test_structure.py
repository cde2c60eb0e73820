"""Small modules, small functions: every module of ``iamkit/`` has at most ``MAX_MODULE_LINES`` lines and
every function (method, nested function) at most ``MAX_FUNCTION_LINES``, from its ``def`` line to its
last line, unless it says why at its top.

The convention for a written reason:

* a module: a comment line starting with ``# size:`` among its first ``REASON_WINDOW`` lines, e.g.
  ``# size: one table of every AWS managed policy the stand-in serves; splitting it helps nobody``;
* a function: a comment line starting with ``# size:`` between its ``def`` line and its first
  statement (the docstring counts as the first statement), or a docstring whose first line starts
  with ``size:``.

``KNOWN_OVERSIZE`` lists what is still too big on main while other branches shrink it; it may only
shrink: an entry that is no longer too big (or no longer exists) fails the second test, so that it is
removed as soon as it is fixed.
"""

from __future__ import annotations

import ast
import sys

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "iamkit"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON_WINDOW = 10
REASON = "# size:"

#: still too big on main when issue 12 part B landed; other branches of issue 12 shrink them.
#: "path" is a module, "path::Qualified.name" a function. Remove an entry when it is fixed (enforced).
KNOWN_OVERSIZE: set[str] = set()

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, Function]]:
    """Every function in ``tree`` with its qualified name (``Class.method``, ``outer.inner``)."""
    out: list[tuple[str, Function]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append((prefix + node.name, node))
            out.extend(_functions(node, f"{prefix}{node.name}."))
        elif isinstance(node, ast.ClassDef):
            out.extend(_functions(node, f"{prefix}{node.name}."))
        else:
            out.extend(_functions(node, prefix))
    return out


def _function_has_reason(fn: Function, lines: list[str]) -> bool:
    first = fn.body[0]
    between = lines[fn.lineno:first.lineno - 1]  # after the def line, before the first statement
    if any(line.strip().startswith(REASON) for line in between):
        return True
    doc = ast.get_docstring(fn)
    return bool(doc) and doc.lstrip().startswith(REASON.removeprefix("# "))


def oversize() -> dict[str, str]:
    """What is too big without a written reason: key (as in KNOWN_OVERSIZE) -> how big."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if len(lines) > MAX_MODULE_LINES and not any(
                line.strip().startswith(REASON) for line in lines[:REASON_WINDOW]):
            found[rel] = f"{len(lines)} lines (at most {MAX_MODULE_LINES})"
        for name, fn in _functions(ast.parse(text, filename=rel)):
            size = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if size > MAX_FUNCTION_LINES and not _function_has_reason(fn, lines):
                found[f"{rel}::{name}"] = f"{size} lines (at most {MAX_FUNCTION_LINES})"
    return found


def test_no_module_or_function_too_big_without_a_reason():
    new = {k: v for k, v in oversize().items() if k not in KNOWN_OVERSIZE}
    assert not new, "too big, split it or write '# size: <why>' at its top:\n" + "\n".join(
        f"  {k}: {v}" for k, v in sorted(new.items()))


def test_known_oversize_only_lists_what_is_still_too_big():
    fixed = KNOWN_OVERSIZE - set(oversize())
    assert not fixed, "no longer too big (remove from KNOWN_OVERSIZE):\n" + "\n".join(f"  {k}" for k in sorted(fixed))


SAMPLE = '''"""A module."""


def small():
    return 1


def big_with_comment():
    # size: one flat table, clearer in one piece
{body}

def big_with_docstring():
    """size: one flat table."""
{body}

def big():
{body}

def at_limit():
{body59}

class K:
    def method(self):
{body2}
'''


def test_the_size_rules_themselves(tmp_path, monkeypatch):
    """The checker finds a long function, method and module without a reason (limit + 1), lets the limit
itself pass, and accepts both ways of giving a reason."""
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES)) + "\n"
    body59 = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1)) + "\n"
    body2 = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES)) + "\n"
    pkg = tmp_path / "iamkit"
    pkg.mkdir()
    (pkg / "m.py").write_text(SAMPLE.format(body=body, body2=body2, body59=body59))
    (pkg / "long.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (pkg / "long_ok.py").write_text("# size: generated table\n" + "x = 1\n" * MAX_MODULE_LINES)
    (pkg / "limit.py").write_text("x = 1\n" * MAX_MODULE_LINES)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert set(oversize()) == {"iamkit/m.py::big", "iamkit/m.py::K.method", "iamkit/long.py"}


@pytest.mark.parametrize("rel", ["iamkit/runner", "iamkit/cli"])
def test_packages_of_this_issue_hold_the_rule_without_exceptions(rel):
    mine = {k for k in oversize() if k.startswith(rel + "/")}
    assert not mine and not {k for k in KNOWN_OVERSIZE if k.startswith(rel + "/")}


def test_every_library_module_is_under_the_progress_contract():
    """The "only the command line displays progress" contract names the library's top-level modules one by
    one (import-linter has no "everything but"): a new module must be added there, or it could print."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    progress = next(c for c in contracts if c["name"].startswith("Only the command line displays progress"))
    top = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("__")}
    top |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    listed = {m.removeprefix("iamkit.") for m in progress["source_modules"]}
    assert top - {"cli"} - listed == set()
