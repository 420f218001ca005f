#!/usr/bin/env bash
# Runs every test and gate: unit and handler tests, integration tests against
# moto_server (started by the tests on a free loopback port), construct tests,
# and the app-level gates in test/ (snapshots, cdk-nag, cfn-lint, validation).
set -euo pipefail
cd "$(dirname "$0")/.."

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# Unit tests synthesize with the built-in CloudFormation validation off;
# test/validation_test.go runs one synth with it on, as errors.
export CDK_VALIDATION=false

for tool in cfn-lint moto_server; do
  if ! command -v "$tool" >/dev/null; then
    echo "test.sh: $tool is not installed: pip install cfn-lint 'moto[server]'" >&2
    exit 1
  fi
done

# Integration tests start moto_server themselves on a free loopback port
# (internal/mototest); here they must not skip for want of it.
export BIOLAKE_REQUIRE_MOTO=1

# -p 1 keeps the CDK test binaries (about 1 GB each while linking and
# synthesizing) from running side by side on small machines.
go test -p 1 -count=1 -timeout 30m "$@" ./...
