"""Shared fixtures for the iamkit.policy tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path | None:
    """``shared/data`` beside the repository (as laid out for sessions and CI), if present."""
    candidates = [os.environ.get("IAMKIT_SHARED_DATA"), _REPO.parent / "shared" / "data", "/work/shared/data"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip("shared/data (cloudsplaining and pathfinding.cloud exports) is not available")
    return found
