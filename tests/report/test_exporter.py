"""ReportExporter gives the same accessible tags as nbconvert's HTMLExporter, without parsing the page."""

from __future__ import annotations

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from iamkit.report.exporter import NO_ALT, ReportExporter, accessible


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell('# T\n<img src="a.png">\n<img src="b.png" alt="chart of keys">'),
        nbformat.v4.new_code_cell("x = 1", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": '<div class="t"><img src="c.png"></div>'}),
            nbformat.v4.new_output("display_data", data={
                "text/html": '<script>var s = \'<img src="d.png"><div class="jp-OutputArea-output">\';</script>'}),
            nbformat.v4.new_output("stream", name="stdout", text="hello <img> text\n"),
        ]),
        nbformat.v4.new_code_cell("y = 2"),
    ]
    return nb


def _tags(page: str):
    soup = BeautifulSoup(page, "html.parser")
    imgs = [(i.get("src"), i.get("alt")) for i in soup.find_all("img")]
    focus = [(" ".join(d.get("class", [])), d.get("tabindex"))
             for d in soup.select(".jp-Notebook div.jp-Cell-inputWrapper, .jp-Notebook div.jp-OutputArea-output")]
    scripts = [s.string for s in soup.find_all("script") if s.string and "d.png" in s.string]
    return imgs, focus, scripts


@pytest.mark.parametrize("exclude_input", [False, True])
def test_same_alt_texts_and_focusable_cells_as_nbconvert(exclude_input):
    nb = _notebook()
    kw = {"exclude_input": exclude_input, "exclude_input_prompt": True, "exclude_output_prompt": True}
    theirs, _ = HTMLExporter(**kw).from_notebook_node(nb)
    ours, _ = ReportExporter(**kw).from_notebook_node(nb)
    assert _tags(ours) == _tags(theirs)
    imgs, focus, scripts = _tags(ours)
    assert ("a.png", NO_ALT) in imgs and ("b.png", "chart of keys") in imgs and ("c.png", NO_ALT) in imgs
    assert focus and all(t == "0" for _, t in focus)
    assert scripts == ['var s = \'<img src="d.png"><div class="jp-OutputArea-output">\';']  # scripts untouched


def test_only_whole_class_names_and_markup_outside_scripts_styles_and_comments_change():
    page = ('<div class="jp-OutputArea-output-x"></div><div class="a jp-OutputArea-output b"></div>'
            '<style>img {}</style><!-- <img src="z"> --><div class="jp-Cell-inputWrapper" tabindex="-1"></div>'
            '<IMG src="q"><img alt="" src="e">')
    assert accessible(page) == (
        '<div class="jp-OutputArea-output-x"></div><div tabindex="0" class="a jp-OutputArea-output b"></div>'
        '<style>img {}</style><!-- <img src="z"> --><div class="jp-Cell-inputWrapper" tabindex="-1"></div>'
        f'<img alt="{NO_ALT}" src="q"><img alt="" src="e">')
