"""worksample-harness: grade take-home work-sample submissions in Docker sandboxes.

The flow lives in ``harness.pipeline``; the CLI in ``harness.cli``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("worksample-harness")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0+source"

__all__ = ["__version__"]
