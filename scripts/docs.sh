#!/usr/bin/env bash
# Regenerate the example pages (docs/examples/<name>.md: description, Mermaid
# diagram, monthly cost) and the README's cost table from freshly synthesized
# templates. The tests fail when these files are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
.venv/bin/python -m examples.docs
