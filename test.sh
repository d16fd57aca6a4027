#!/usr/bin/env bash
# Runs the test suite (sets up .venv first when it is missing or out of date).
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh --no-demo
exec .venv/bin/python -m pytest "$@"
