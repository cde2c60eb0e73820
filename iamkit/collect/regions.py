"""Enabled regions of one account (``regions.json``): where the per-region collectors look.

``regions.json`` is the raw DescribeRegions answer ``{Regions: [{RegionName, Endpoint, OptInStatus}]}``
(without ``AllRegions``, so AWS lists only the regions enabled for the account). The regions
collected are these, restricted to ``--regions`` when given (``manifest.json`` ``regions``). A
requested region that is not enabled (an opt-in region nobody opted into) is recorded as a manifest
error with code ``RegionNotEnabled``, never silently skipped.
"""

from __future__ import annotations

from iamkit.aws.session import AwsSession
from iamkit.collect.base import step, strip_metadata
from iamkit.evidence import (  # the bundle layout
    REGIONS,
    BundleWriter,
)

COLLECTOR = "regions"
OPERATIONS = frozenset({("ec2", "DescribeRegions")})
#: evidence file -> the operations it needs
FILES = {REGIONS: OPERATIONS}


def collect(session: AwsSession, writer: BundleWriter) -> list[str]:
    """Write ``regions.json`` and return the regions to collect per-region evidence in."""
    home = session.target.region
    resp = step(writer, COLLECTOR, "DescribeRegions", REGIONS,
                lambda: strip_metadata(session.client("ec2", home).describe_regions()))
    wanted = list(session.target.regions) if session.target.regions else None
    if resp is None:
        # without the list, collect where we were told to, else in the home region only; the checks
        # that need the list of enabled regions say ERROR because regions.json is missing
        return wanted or [home]
    enabled = sorted(r["RegionName"] for r in resp.get("Regions", [])
                     if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in")
    if wanted is None:
        return enabled
    for region in wanted:
        if region not in enabled:
            writer.add_error(COLLECTOR, "DescribeRegions", "RegionNotEnabled",
                             f"{region} is not enabled for this account (opt-in region not opted in, or unknown)",
                             region=region)
    return [r for r in wanted if r in enabled]
