"""The pieces of the report's page budget (issue 10): contents page numbers from a printed PDF's outline,
section tables capped with the complete table in tables/*.csv, resources named instead of ids, and the
organization-wide guardrail matrix on the index."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfWriter

from iamkit.findings import Status
from iamkit.report import nb
from iamkit.report.fmt import resource_name
from iamkit.report.orgviews import guardrail_matrix
from iamkit.report.summary import issues, subject
from iamkit.report.toc import heading_pages, page_counts
from tests.report.fakes import finding


def pdf_with_outline(path: Path, pages: int, entries: list[tuple[str, int]]) -> Path:
    """A PDF of blank pages whose outline has ``entries`` (title, 1-based page), like Chromium's bookmarks."""
    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(595, 842)
    parent = None
    for title, page in entries:
        item = w.add_outline_item(title=title.strip(), page_number=page - 1,
                                  parent=parent if title.startswith("  ") else None)
        if not title.startswith("  "):
            parent = item
    with path.open("wb") as fh:
        w.write(fh)
    return path


def test_heading_pages_follow_the_outline_in_order_and_ignore_spaces(tmp_path):
    pdf = pdf_with_outline(tmp_path / "r.pdf", 9, [
        ("IAM security assessment", 1), ("  Checks of this area", 1), ("Executive summary", 2),
        ("Multi-factor authentication and password policy", 3), ("  Checks of this area", 3),
        ("Least privilege", 6), ("  Checks of this area", 7), ("Appendices", 8)])
    titles = ["Executive summary", "Multi-factor authentication  and password\npolicy", "Root user usage",
              "Least privilege", "Appendices"]
    assert heading_pages(pdf, titles) == [2, 3, None, 6, 8]


def test_a_repeated_heading_is_matched_after_the_previous_entry(tmp_path):
    # "Checks of this area" is under every area: the contents' second entry must get the second one
    pdf = pdf_with_outline(tmp_path / "r.pdf", 5, [("A", 1), ("  Checks", 2), ("B", 3), ("  Checks", 4)])
    assert heading_pages(pdf, ["A", "Checks", "B", "Checks"]) == [1, 2, 3, 4]


def test_page_counts_body_ends_before_the_appendices(tmp_path):
    pdf = pdf_with_outline(tmp_path / "r.pdf", 20, [("Executive summary", 2), ("Appendices", 13)])
    assert page_counts(pdf) == (20, 12)
    assert page_counts(pdf_with_outline(tmp_path / "n.pdf", 3, [("Executive summary", 2)])) == (3, None)


@pytest.fixture
def shown(monkeypatch) -> list[str]:
    out: list[str] = []
    monkeypatch.setattr(nb, "show_html", out.append)
    return out


def test_a_capped_section_table_shows_the_first_rows_and_exports_every_row_and_column(tmp_path, shown):
    df = pd.DataFrame({"role_name": [f"role-{i}" for i in range(10)], "reason": [f"why {i}" for i in range(10)]})
    nb.show_model_table("roles by last use", lambda: df, ["role_name"], limit=3, export=(tmp_path, "unused_roles"))
    html = shown[-1].replace("<wbr>", "")
    assert html.count("<tr>") == 1 + 3 and "role-2" in html and "role-3" not in html and "why 0" not in html
    assert "7 more rows of the 10 roles by last use" in html and 'href="tables/unused_roles.csv"' in html
    assert pd.read_csv(tmp_path / "tables" / "unused_roles.csv").equals(df)


def test_limit_zero_refers_to_the_csv_only_and_a_short_table_is_whole(tmp_path, shown):
    df = pd.DataFrame({"guardrail": ["a", "b"], "why": ["x", "y"]})
    nb.show_model_table("guardrails of this account", lambda: df, ["guardrail"], limit=0, export=(tmp_path, "g"))
    assert "<table" not in shown[-1] and "The 2 guardrails of this account, every column" in shown[-1]
    nb.show_model_table("guardrails of this account", lambda: df, ["guardrail"], limit=8)
    assert shown[-1].count("<tr>") == 3 and "more row" not in shown[-1]


PS = "arn:aws:sso:::permissionSet/ssoins-1/ps-abc123"
USER = "arn:aws:identitystore:::user/9a1b-22"


def test_identity_center_resources_are_named_and_unknown_ids_stay_ids():
    names = {PS: "permission set AdministratorAccess", USER: "user alice"}
    assert resource_name(PS, names) == "permission set AdministratorAccess"
    assert resource_name(USER, names) == "user alice"
    assert resource_name(PS) == "ps-abc123"  # no names: the id, never an invented name
    assert resource_name("arn:aws:identitystore:::user/deleted-1", names) == "deleted-1"
    assert resource_name("arn:aws:iam::111122223333:user/bob#access_key_1", names) == "access key 1 of bob"
    f = finding("sso.permission_set.admin", resource=PS, area="identity_center")
    assert subject(f, names) == "permission set AdministratorAccess"
    assert issues([f], names)[0].resources == ["permission set AdministratorAccess"]


def test_guardrail_matrix_has_one_column_per_evaluated_guardrail():
    fs = [finding("org.scp.guardrail.deny_root_user", Status.PASS, account="111111111111"),
          finding("org.scp.guardrail.deny_root_user", Status.FAIL, account="222222222222"),
          finding("org.scp.guardrail.region_restriction", Status.NOT_APPLICABLE, account="111111111111"),
          finding("org.scp.guardrails_present", Status.FAIL, account="222222222222")]
    names, rows = guardrail_matrix(["111111111111", "222222222222", "333333333333"], fs)
    assert names == ["deny_root_user", "region_restriction"]
    assert rows == [{"account_id": "111111111111", "cells": ["PASS", "NOT_APPLICABLE"]},
                    {"account_id": "222222222222", "cells": ["FAIL", ""]},
                    {"account_id": "333333333333", "cells": ["", ""]}]
