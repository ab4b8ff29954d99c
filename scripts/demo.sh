#!/usr/bin/env bash
# Fresh machine to graded demo in one command: set everything up, then grade the
# bundled example submissions and print where the reports are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/harness demo "$@"
