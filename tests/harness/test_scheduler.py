"""The scheduler with a backend that prepares containers ahead: what it is asked to prepare,
and that measured phases run while every backend is quiet."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from harness.scheduler import PhaseScheduler, PreparesPhases
from sandbox.base import PhaseRequest, PhaseResult, PhaseStatus
from tests.fakes import FakeSandbox


class PreparingSandbox(FakeSandbox):
    """Records preparations, quiet periods and which phases ran inside one."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared: list[PhaseRequest] = []
        self.quiet_depth = 0
        self.ran_quiet: dict[str, bool] = {}
        self.closed = 0
        self.deferred = False

    def prepare_phase(self, request: PhaseRequest, ahead: int = 1) -> None:
        self.prepared.append(request)

    @contextmanager
    def quiet(self) -> Iterator[None]:
        self.quiet_depth += 1
        try:
            yield
        finally:
            self.quiet_depth -= 1

    def close(self) -> None:
        self.closed += 1

    def defer_removals(self) -> None:
        self.deferred = True

    def run_phase(self, request: PhaseRequest) -> PhaseResult:
        self.ran_quiet[request.name] = self.quiet_depth > 0
        return PhaseResult(name=request.name, status=PhaseStatus.ok, exit_code=0, wall_s=0.1)


def request(name: str) -> PhaseRequest:
    return PhaseRequest(name=name, image="x", command=["true"])


def test_the_backend_prepares_the_request_as_it_will_run() -> None:
    sandbox = PreparingSandbox()
    scheduler = PhaseScheduler(lambda: sandbox, jobs=2, cpus=[0, 1])
    scheduler.prepare(request("predict"))
    assert [prepared.cpuset for prepared in sandbox.prepared] == ["1"]
    assert sandbox.prepared[0] == scheduler.place(request("predict"))


def test_preparing_can_be_switched_off() -> None:
    sandbox = PreparingSandbox()
    scheduler = PhaseScheduler(lambda: sandbox, prepare_ahead=False)
    scheduler.prepare(request("predict"))
    assert sandbox.prepared == []


def test_backends_that_cannot_prepare_are_left_alone() -> None:
    sandbox = FakeSandbox()
    assert not isinstance(sandbox, PreparesPhases)
    scheduler = PhaseScheduler(lambda: sandbox)
    scheduler.prepare(request("train"))
    assert scheduler.run(request("train")).status is PhaseStatus.ok
    scheduler.close()


def test_measured_phases_run_while_every_backend_is_quiet() -> None:
    backends: dict[str, PreparingSandbox] = {}

    def make() -> PreparingSandbox:
        backend = PreparingSandbox()
        backends[threading.current_thread().name] = backend
        return backend

    scheduler = PhaseScheduler(make, jobs=2, cpus=[0, 1])
    other = threading.Thread(target=lambda: scheduler.run(request("train")), name="other")
    other.start()
    other.join()
    for name in ("train", "predict", "tests", "repeat-predict"):
        scheduler.run(request(name))
    mine = backends[threading.current_thread().name]
    assert mine.ran_quiet == {
        "train": False,
        "predict": True,
        "tests": False,
        "repeat-predict": True,
    }
    assert backends["other"].ran_quiet == {"train": False}
    assert backends["other"].quiet_depth == 0 and mine.quiet_depth == 0


def test_close_reaches_every_backend() -> None:
    backends: list[PreparingSandbox] = []

    def make() -> PreparingSandbox:
        backends.append(PreparingSandbox())
        return backends[-1]

    scheduler = PhaseScheduler(make, jobs=2)
    worker = threading.Thread(target=lambda: scheduler.run(request("train")))
    worker.start()
    worker.join()
    scheduler.run(request("train"))
    scheduler.close()
    assert [backend.closed for backend in backends] == [1, 1]
    assert all(backend.deferred for backend in backends), "it closes them, so they may defer"
