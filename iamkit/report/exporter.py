"""nbconvert's HTML exporter without its whole-document BeautifulSoup pass.

``HTMLExporter.from_notebook_node`` renders the template, then parses the whole page with BeautifulSoup to
give images without ``alt`` a default text and to make cell inputs and outputs focusable (``tabindex="0"``).
An iamkit report inlines plotly.js (3.5 MB of its 5 MB), so that parse cost ~0.3 s per report, more than
rendering the template (measured with py-spy on a 20-account run: 27 % of the driver's report CPU).
:class:`ReportExporter` makes the same two edits on the opening tags outside ``<script>`` and ``<style>``
elements, in one linear pass; ``tests/report/test_exporter.py`` checks that both give the same tags.
"""

from __future__ import annotations

import re
from typing import Any

from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

__all__ = ["ReportExporter", "accessible"]

#: what nbconvert writes into an image without a description
NO_ALT = "No description has been provided for this image"
_RAW = re.compile(r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->)", re.S | re.I)
_IMG = re.compile(r"<img\b(?![^>]*\balt\s*=)", re.I)
_FOCUSABLE = re.compile(r'<div\b(?=[^>]*\bclass="(?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)[\s"])'
                        r'(?![^>]*\btabindex\s*=)')


def _edit(markup: str) -> str:
    markup = _IMG.sub(f'<img alt="{NO_ALT}"', markup)
    return _FOCUSABLE.sub('<div tabindex="0"', markup)


def accessible(page: str) -> str:
    """Default ``alt`` on images lacking one and ``tabindex="0"`` on cell inputs and outputs (what nbconvert's
    HTMLExporter adds), leaving scripts, styles and comments as they are."""
    parts = _RAW.split(page)
    return "".join(p if i % 2 else _edit(p) for i, p in enumerate(parts))


class ReportExporter(HTMLExporter):
    """:class:`~nbconvert.HTMLExporter` with :func:`accessible` instead of its BeautifulSoup pass."""

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None,  # type: ignore[override]
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get("highlight_code",
                                                                 Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return accessible(html), resources
