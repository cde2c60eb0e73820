"""Regions, IAM Access Analyzer (per-region files) and CloudTrail root activity of an account."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from iamkit.evidence import REGIONS, ROOT_ACTIVITY, analyzer_file
from iamkit.model.frames import BundleFacts, _dt, _frame
from iamkit.reads import fact


class RegionsMixin(BundleFacts):
    """Regional facts of :class:`~iamkit.model.AccountModel`."""

    @fact
    def enabled_regions(self) -> list[str]:
        """Regions enabled for the account (``regions.json``: DescribeRegions, or a plain list)."""
        data = self.json(REGIONS)
        if isinstance(data, dict):
            data = data.get("Regions") or data.get("regions") or []
        return sorted({r if isinstance(r, str) else r.get("RegionName") for r in data} - {None})

    @fact
    def regions(self) -> list[str]:
        """Regions whose per-region evidence was collected (the manifest's ``regions``; ``--regions`` may
        restrict them), else the enabled regions."""
        regions = list(self.bundle.manifest.get("regions") or [])
        return sorted(regions) if regions else self.enabled_regions

    def analyzer_region(self, region: str) -> dict[str, Any]:
        """The raw Access Analyzer file of one region (raises MissingEvidence when absent)."""
        return self.json(analyzer_file(region))

    def _analyzer_files(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(region, raw file) of every region whose Access Analyzer file is present."""
        for region in self.regions:
            if self.bundle.has(analyzer_file(region)):
                yield region, self.bundle.json(analyzer_file(region))

    @fact
    def analyzers(self) -> pd.DataFrame:
        """Analyzers of every region whose file is present (regions without a file: see ``analyzer_region``)."""
        recs = []
        for region, data in self._analyzer_files():
            for a in data.get("analyzers") or []:
                recs.append({"region": region, "name": a.get("name"), "arn": a.get("arn"),
                             "type": a.get("type"), "status": a.get("status")})
        return _frame(recs, ["region", "name", "arn", "type", "status"])

    @fact
    def analyzer_findings(self) -> pd.DataFrame:
        recs = []
        for region, data in self._analyzer_files():
            for analyzer_arn, items in (data.get("findings") or {}).items():
                for f in items or []:
                    principal = f.get("principal") or {}
                    recs.append({"region": region, "analyzer_arn": analyzer_arn, "id": f.get("id"),
                                 "resource": f.get("resource"), "resource_type": f.get("resourceType"),
                                 "principal": json.dumps(principal, sort_keys=True) if principal else "",
                                 "is_public": bool(f.get("isPublic", False)), "status": f.get("status"),
                                 "finding_type": f.get("findingType")})
        return _frame(recs, ["region", "analyzer_arn", "id", "resource", "resource_type", "principal",
                             "is_public", "status", "finding_type"])

    # -- CloudTrail root activity -------------------------------------------------------------
    @fact
    def root_activity(self) -> dict[str, Any]:
        return self.json(ROOT_ACTIVITY)

    @fact
    def root_events(self) -> pd.DataFrame:
        recs = []
        for region, events in (self.root_activity.get("regions") or {}).items():
            for e in events or []:
                detail = e.get("CloudTrailEvent")
                detail = json.loads(detail) if isinstance(detail, str) and detail else (detail or {})
                recs.append({"event_time": e.get("EventTime"), "region": region, "event_name": e.get("EventName"),
                             "source_ip": detail.get("sourceIPAddress", ""),
                             "user_agent": detail.get("userAgent", "")})
        df = _frame(recs, ["event_time", "region", "event_name", "source_ip", "user_agent"])
        df["event_time"] = _dt(df["event_time"], strict=f"{ROOT_ACTIVITY} EventTime")
        return df.sort_values("event_time", ascending=False).reset_index(drop=True)

