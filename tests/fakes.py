"""Stand-ins shared by Docker-free tests."""

from __future__ import annotations

import json
from types import ModuleType

import pandas as pd

from sandbox.base import PhaseRequest, PhaseResult, PhaseStatus


class FakeSandbox:
    """Pretends to run phases: predict writes a constant prediction for every id."""

    name = "fake"

    def __init__(self) -> None:
        self.requests: list[PhaseRequest] = []

    def check(self) -> str:
        return "fake"

    def run_phase(self, request: PhaseRequest) -> PhaseResult:
        self.requests.append(request)
        if request.name == "predict":
            mounts = {mount.target: mount.source for mount in request.mounts}
            features = pd.read_csv(mounts["/data/eval"] / "features.csv", dtype=str)
            id_column = request.command[request.command.index("--id-column") + 1]
            pd.DataFrame({id_column: features[id_column], "prediction": 0.5}).to_csv(
                mounts["/output"] / "predictions.csv", index=False
            )
            (mounts["/output"] / "timings.json").write_text(json.dumps({"load_s": 0.01}))
        return PhaseResult(name=request.name, status=PhaseStatus.ok, exit_code=0, wall_s=0.1)

    def cleanup_stale(self) -> int:
        return 0


def load_predict_driver(name: str = "predict_driver") -> ModuleType:
    """The predict driver as a module: it is a script mounted into the sandbox, not part of a
    package, so tests load it from its file."""
    import importlib.util
    import sys

    from harness.pipeline import DRIVER_DIR

    spec = importlib.util.spec_from_file_location(name, DRIVER_DIR / "predict_driver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module
