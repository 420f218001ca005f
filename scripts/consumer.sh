#!/usr/bin/env bash
# Builds examples/consumer, a Go module of its own that imports biolake's
# constructs the way a lab's CDK app does, runs its tests, and synthesizes
# it through the pinned CDK CLI with the Lambda handlers really built (the
# path a consumer takes: Go at synth, no stub assets). Fails on any
# unsuppressed cdk-nag finding in any stack.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/examples/consumer"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go vet ./...
go test -count=1 ./...
go build -trimpath -o "$out/labplatform" .
"$root/node_modules/.bin/cdk" synth --app "$out/labplatform" -o "$out/cdk.out" --quiet >/dev/null

stacks=$(cd "$out/cdk.out" && ls *.template.json | sed 's/\.template\.json$//')
status=0
for s in $stacks; do
  for pack in AwsSolutions HIPAA.Security NIST.800.53.R5; do
    report="$out/cdk.out/$pack--$s-NagReport.csv"
    if [ ! -f "$report" ]; then
      echo "consumer: $s has no $pack report" >&2
      status=1
      continue
    fi
    if grep -q '"Non-Compliant"' "$report"; then
      echo "consumer: unsuppressed $pack findings in $s:" >&2
      grep '"Non-Compliant"' "$report" >&2
      status=1
    fi
  done
  if grep -q 'stub asset for tests' "$out/cdk.out"/asset.*/bootstrap 2>/dev/null; then
    echo "consumer: a handler asset of $s is the test stub" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "consumer: examples/consumer synthesized: $(echo $stacks | wc -w) stacks, $(cat "$out"/cdk.out/*.template.json | grep -c '"Type": "AWS::') resources, cdk-nag 0 unsuppressed"
exit $status
