#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite on two workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
