"""Root user activity from CloudTrail event history (LookupEvents), per collected region.

``cloudtrail/root_activity.json`` is ``{"regions": {<region>: [event...]}, "window_days": 90,
"lookup": {...}}``: the raw ``Events`` of LookupEvents with ``LookupAttributes=[{AttributeKey:
Username, AttributeValue: root}]`` between ``start_time`` and ``end_time`` (event history keeps 90
days), at most ``max_pages`` pages of ``page_size`` events per region. ``lookup`` records the
attribute, the window, the bounds and ``truncated: {<region>: true|false}`` (true = more events
existed than the bound; the listed ones are the newest). A region whose lookup failed is absent from
``regions`` and has a manifest error for this file with its region; when every region failed, the
file is not written at all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from iamkit.aws.session import AWS_ERRORS, AwsSession, error_code, one_line
from iamkit.evidence import (  # the bundle layout
    ROOT_ACTIVITY,
    BundleWriter,
    iso,
    utcnow,
)

COLLECTOR = "cloudtrail"
OPERATIONS = frozenset({("cloudtrail", "LookupEvents")})
#: evidence file -> the operations it needs (every region's lookup failed: no file)
FILES = {ROOT_ACTIVITY: OPERATIONS}
WINDOW_DAYS = 90
PAGE_SIZE = 50
MAX_PAGES = 10


def root_events(client: Any, start: Any, end: Any, *, max_pages: int = MAX_PAGES) -> tuple[list[Any], bool]:
    events: list[Any] = []
    kwargs: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "root"}],
        "StartTime": start, "EndTime": end, "MaxResults": PAGE_SIZE,
    }
    for _ in range(max_pages):
        page = client.lookup_events(**kwargs)
        events.extend(page.get("Events", []))
        token = page.get("NextToken")
        if not token:
            return events, False
        kwargs["NextToken"] = token
    return events, True


def collect(session: AwsSession, writer: BundleWriter, regions: list[str], *,
            window_days: int = WINDOW_DAYS, max_pages: int = MAX_PAGES) -> None:
    end = utcnow()
    start = end - timedelta(days=window_days)
    out: dict[str, list[Any]] = {}
    truncated: dict[str, bool] = {}
    for region in regions:
        try:
            out[region], truncated[region] = root_events(session.client("cloudtrail", region), start, end,
                                                         max_pages=max_pages)
        except AWS_ERRORS as exc:
            writer.add_error(COLLECTOR, "LookupEvents", error_code(exc), one_line(exc), region=region,
                             file=ROOT_ACTIVITY)
    if not out and regions:
        return
    writer.write_json(ROOT_ACTIVITY, {
        "regions": out, "window_days": window_days,
        "lookup": {"attribute": {"AttributeKey": "Username", "AttributeValue": "root"},
                   "start_time": iso(start), "end_time": iso(end), "page_size": PAGE_SIZE,
                   "max_pages": max_pages, "truncated": truncated},
    })
