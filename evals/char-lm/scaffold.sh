#!/usr/bin/env bash
# The case's PyTorch project, copied into the run's working folder (run with --scaffold).
set -euo pipefail
cp -R "$(dirname "$0")/project/." .
