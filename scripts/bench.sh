#!/usr/bin/env bash
# Measures, in one run on this machine: the synth time of the biolake app for
# each environment and of an empty CDK Go app through the same CLI, with the
# built-in CloudFormation validation off (CDK_VALIDATION=false) and on; the
# warm `go test ./...` time; and the Go benchmarks. Binaries are built first,
# so synth times exclude compilation. Figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
CDK=node_modules/.bin/cdk
runs=${BENCH_RUNS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go build -trimpath -o build/biolake ./bin/biolake
go build -trimpath -o build/emptyapp ./scripts/emptyapp
# Warm jsii's unpacked aws-cdk-lib and the Lambda build cache.
CDK_VALIDATION=false $CDK synth --app build/emptyapp -o "$out/warm" --quiet >/dev/null
CDK_VALIDATION=false $CDK synth --app build/biolake -c env=dev -o "$out/warm2" --quiet >/dev/null

# best of $runs, in seconds
best() {
  local best=999999
  for _ in $(seq 1 "$runs"); do
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
    e=$(date +%s.%N)
    best=$(python3 -c "print(min($best, $e - $s))")
  done
  printf '%.2f' "$best"
}

printf '%-10s %-11s %9s %8s\n' app validation seconds ratio
for validation in false true; do
  floor=$(CDK_VALIDATION=$validation best $CDK synth --app build/emptyapp -o "$out/empty" --quiet)
  printf '%-10s %-11s %9s %8s\n' empty "$([ $validation = true ] && echo on || echo off)" "$floor" 1.00
  for env in dev staging prod; do
    t=$(CDK_VALIDATION=$validation best $CDK synth --app build/biolake -c env=$env -o "$out/$env" --quiet)
    printf '%-10s %-11s %9s %8s\n' "$env" "$([ $validation = true ] && echo on || echo off)" "$t" "$(python3 -c "print(f'{$t/$floor:.2f}')")"
  done
done

echo
go test ./... >/dev/null 2>&1 || true # warm the build and test caches
s=$(date +%s.%N)
CDK_VALIDATION=false go test -count=1 ./... >/dev/null
e=$(date +%s.%N)
printf 'warm go test -count=1 ./...: %.1f s\n' "$(python3 -c "print($e - $s)")"

echo
go test -run='^$' -bench=. -benchmem -count=1 ./internal/... ./constructs/internal/golambda/ 2>/dev/null | grep -E '^(Benchmark|ok|PASS)' || true
