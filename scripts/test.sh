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

# Two test binaries at a time: on the 2-core reference machine the suite
# takes 149 s with -p 2 against 217 s with -p 1 (docs/PERFORMANCE.md). Each
# CDK test binary takes about 1 GB while linking and synthesizing; on a
# machine with little memory set BIOLAKE_TEST_PARALLEL=1.
# The permission proof (test/) appends how many calls it checked here, and
# test/sfn_test.go writes how many state-machine scenarios it executed
# (every synthesized state machine on every documented path).
BIOLAKE_PROOF_SUMMARY=$(mktemp)
BIOLAKE_SFN_SUMMARY=$(mktemp)
export BIOLAKE_PROOF_SUMMARY BIOLAKE_SFN_SUMMARY
trap 'rm -f "$BIOLAKE_PROOF_SUMMARY" "$BIOLAKE_SFN_SUMMARY"' EXIT
go test -p "${BIOLAKE_TEST_PARALLEL:-2}" -count=1 -timeout 30m "$@" ./...
# A separate Go module that imports the constructs as a lab's app does:
# its tests, then a real synth (handlers built) with cdk-nag.
if [ $# -eq 0 ]; then
  bash scripts/consumer.sh
fi
sort -u "$BIOLAKE_PROOF_SUMMARY"
cat "$BIOLAKE_SFN_SUMMARY"
