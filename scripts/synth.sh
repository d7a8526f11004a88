#!/usr/bin/env bash
# Set up (if needed), synthesize every example stack with all checks enabled
# (cdk-nag AwsSolutions + Serverless + ServerlessPatternsChecks), then print
# resources and findings per stack. Exits non-zero on any unacknowledged error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export CDK_DISABLE_CLI_TELEMETRY=true
status=0
node_modules/.bin/cdk synth --quiet --no-notices --no-version-reporting "$@" || status=$?
.venv/bin/python -m cdk_serverless_patterns findings --fail-on never cdk.out
exit $status
