#!/usr/bin/env bash
# Benchmarks (issue 12): synth speed vs AWS Solutions Constructs, resources and
# findings, cost per example stack, runtime import time. Uses its own virtualenv
# (.venv-bench): the anchor pins an aws-cdk-lib range of its own, and both sides
# are measured on that same aws-cdk-lib.
#
# `bash scripts/benchmark.sh --local [--rounds N] [example ...]` instead measures
# LocalCloud (issue 16): start-up and one end-to-end flow per example, in the
# project's own virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--local" ]; then
  shift
  bash scripts/setup.sh
  export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
  exec .venv/bin/python -m benchmarks.local_cloud "$@"
fi
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/python -m pip install --quiet --upgrade pip
fi
.venv-bench/bin/python -m pip install --quiet -e '.[benchmark]'
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
exec .venv-bench/bin/python -m benchmarks.run "$@"
