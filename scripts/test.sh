#!/usr/bin/env bash
# Set up what the tests need (including a running Docker engine and the sandbox
# images), then run the whole test suite. Docker tests are never skipped here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HARNESS_REQUIRE_DOCKER=1
exec .venv/bin/python -m pytest "$@"
