#!/usr/bin/env bash
# Set up a machine to run worksample-harness: system packages, the Docker engine,
# a virtual environment with the harness, and the sandbox images.
# Idempotent: every step is skipped when already done. Needs root on a fresh
# Debian 12 (for apt-get, dockerd and debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
die() { printf 'Error: %s\nHint: %s\n' "$1" "$2" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "'$*' needs root" "run this script as root (or install sudo)"; fi
}

# 1. System packages (only the missing ones).
missing=()
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v git >/dev/null || missing+=(git)
command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || missing+=(docker.io containerd runc iptables)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
# Headless browser and PDF text extraction for the report tests (tests/reports/test_browser.py).
command -v chromium >/dev/null || missing+=(chromium fonts-dejavu-core)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The harness in a virtual environment.
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import harness.cli' 2>/dev/null || [ pyproject.toml -nt .venv/.installed ]; then
  log "installing the harness and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  touch .venv/.installed
fi

# 3. A Docker engine that answers.
engine_up() { .venv/bin/python -c 'import docker; docker.from_env(timeout=5).ping()' >/dev/null 2>&1; }
if ! engine_up; then
  if [ -n "${DOCKER_HOST:-}" ]; then
    die "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer" "start it, or unset DOCKER_HOST to use a local engine"
  fi
  log "starting dockerd"
  dockerd_bin=$(command -v dockerd || echo /usr/sbin/dockerd)
  as_root setsid "$dockerd_bin" >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do engine_up && break; sleep 1; done
  engine_up || die "dockerd did not start (see /var/log/dockerd.log)" "check the log; on hosts without cgroups or iptables, install them"
fi
log "docker engine: $(.venv/bin/python -c 'import docker; print(docker.from_env().version()["Version"])')"

# 4. Sandbox images (built only when their inputs changed).
.venv/bin/harness sandbox build
log "ready: .venv/bin/harness is installed"
