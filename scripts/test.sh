#!/usr/bin/env bash
# Runs every test and gate: unit and handler tests, integration tests against
# moto_server (started here on a free loopback port), the construct tests,
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

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then echo "test.sh: moto_server did not start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.2
done
export MOTO_ENDPOINT="http://127.0.0.1:$port"
echo "moto_server on $MOTO_ENDPOINT"

# -p 1 keeps the CDK test binaries (about 1 GB each while linking and
# synthesizing) from running side by side on small machines.
go test -p 1 -count=1 -timeout 30m "$@" ./...
