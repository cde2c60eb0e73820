"""The run starts the report machinery early; what cannot start is written to the run's log, never dropped."""

from __future__ import annotations

from types import SimpleNamespace

from iamkit.runner import stages


class _State(SimpleNamespace):
    def emit(self, **ev):  # noqa: ANN003, ANN201
        self.events.append(ev)


def _state(dask=None):  # noqa: ANN001, ANN202
    return _State(opts=SimpleNamespace(reports=True, pdf=True, dask=dask), client=None, warming=None, events=[])


def test_a_local_warm_up_that_cannot_start_is_logged_and_joined(monkeypatch):
    monkeypatch.setattr(stages, "warm_up_renderer", lambda pdf: "Chromium not found for PDF rendering")
    state = _state()
    stages.warm_up(state)
    stages._warmed(state)
    assert state.warming is None
    assert [e["message"] for e in state.events] == [
        "reports: could not start ahead of the first report (Chromium not found for PDF rendering); the first "
        "report tries again"]


def test_a_started_warm_up_logs_nothing(monkeypatch):
    monkeypatch.setattr(stages, "warm_up_renderer", lambda pdf: None)
    state = _state()
    stages.warm_up(state)
    stages._warmed(state)
    assert state.events == []


def test_dask_workers_report_why_once_and_a_failed_cluster_call_is_logged(monkeypatch):
    class Client:
        def __init__(self, result):  # noqa: ANN001
            self.result = result

        def run(self, fn, pdf):  # noqa: ANN001, ANN201
            if isinstance(self.result, Exception):
                raise self.result
            return self.result

    state = _state(dask="tcp://x")
    stages._warm_up(state, Client({"w1": "no Chromium", "w2": "no Chromium", "w3": None}))
    assert len(state.events) == 1 and "(no Chromium)" in state.events[0]["message"]
    state = _state(dask="tcp://x")
    stages._warm_up(state, Client(OSError("scheduler gone")))
    assert "OSError: scheduler gone" in state.events[0]["message"]
