"""``iamkit demo``: start the stand-in, seed the demo organization, run the full assessment."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from iamkit.aws.session import AwsTarget
from iamkit.demo.seed import DEMO_CREDENTIALS, scenario, seed
from iamkit.demo.standin import StandIn
from iamkit.runner import Monitor, Progress, RunOptions, RunResult, run
from iamkit.settings import load_settings


def demo_parameters() -> Path:
    return Path(str(resources.files("iamkit.demo").joinpath("parameters.yaml")))


def demo_exceptions() -> Path | None:
    """The repository's example accepted-risk register (``parameters/exceptions.yaml``), so the demo
    shows accepted and expired entries; None when iamkit runs outside a checkout."""
    path = Path(__file__).resolve().parents[2] / "parameters" / "exceptions.yaml"
    return path if path.is_file() else None


def run_demo(out: Path, *, pdf: bool = True, progress: Progress | Monitor = lambda _m: None,
             workers: int | None = None, resume: bool = False, baseline: Path | None = None,
             reports: bool = True, dask: str | None = None, allow_modified: bool = False,
             scale: int | None = None) -> RunResult:
    """``scale``: grow the organization to that many accounts (clones of the members, see
    :mod:`iamkit.demo.scale`) for throughput and scale measurements."""
    data = None
    if scale is not None:
        from iamkit.demo.scale import scaled_scenario

        data = scaled_scenario(scale)
    with StandIn() as standin:
        if not isinstance(progress, Monitor):
            progress(f"AWS stand-in on {standin.url}; seeding the demo organization")
        seed(standin.url, data=data)
        # the demo talks only to the local stand-in: give this process the stand-in's dummy keys
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ["AWS_ACCESS_KEY_ID"] = DEMO_CREDENTIALS["aws_access_key_id"]
        os.environ["AWS_SECRET_ACCESS_KEY"] = DEMO_CREDENTIALS["aws_secret_access_key"]
        params = demo_parameters()
        org = scenario()["organization"]
        target = AwsTarget(endpoint_url=standin.url, organization=True, role_name=org["member_role"],
                           regions=tuple(org["regions"]), session_name="iamkit-demo")
        exc = demo_exceptions()
        settings = load_settings([params], exceptions_file=str(exc) if exc else None)
        opts = RunOptions(out=out, target=target, settings=settings, parameters_files=[str(params)], pdf=pdf,
                          source="demo", title="iamkit demo organization", run_id="demo",
                          workers=workers, resume=resume, baseline=baseline, reports=reports, dask=dask)
        return run(opts, progress)
