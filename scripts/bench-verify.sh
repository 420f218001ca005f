#!/usr/bin/env bash
# bench-verify.sh: time sha256sum and biolake-verify on one large file and
# report throughput and peak RSS.
#
#   scripts/bench-verify.sh            # 2 GiB file in /tmp
#   SIZE_MIB=512 scripts/bench-verify.sh
#
# Installs nothing. Uses /usr/bin/time -v for peak RSS when present, else
# biolake-verify's own VmHWM (-stats) and no RSS for sha256sum. The file is
# read once before timing so every tool reads from the page cache.
set -euo pipefail

SIZE_MIB=${SIZE_MIB:-2048}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/bench-verify.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FILE="$WORK/data.bin"
BIN="$WORK/biolake-verify"

echo "building biolake-verify"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$BIN" ./cmd/biolake-verify)

echo "writing ${SIZE_MIB} MiB of random data to $FILE"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$FILE"
cat "$FILE" >/dev/null # warm the page cache

TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=""

# measure NAME CMD...: prints "NAME  seconds  MiB/s  peak-RSS-KiB"
measure() {
	local name=$1
	shift
	local start end secs rss=""
	if [ -n "$TIME" ]; then
		start=$(date +%s.%N)
		"$TIME" -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt"
		end=$(date +%s.%N)
		rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
	else
		start=$(date +%s.%N)
		"$@" >"$WORK/out.txt"
		end=$(date +%s.%N)
		rss=$(sed -n 's/.*"peakRssKiB": \([0-9]*\).*/\1/p' "$WORK/out.txt")
		rss=${rss:-n/a}
	fi
	secs=$(echo "$end - $start" | bc -l 2>/dev/null || awk "BEGIN{print $end - $start}")
	printf '%-40s %8.2f s %9.1f MiB/s %10s KiB peak RSS\n' "$name" "$secs" \
		"$(awk "BEGIN{print $SIZE_MIB / $secs}")" "$rss"
}

echo
printf '%s MiB file, %s cores\n' "$SIZE_MIB" "$(nproc)"
measure "sha256sum" sha256sum "$FILE"
SHA=$(cut -d' ' -f1 "$WORK/out.txt")
measure "md5sum" md5sum "$FILE"
measure "biolake-verify sha256" "$BIN" -stats -algos sha256 "$FILE"
GOSHA=$(sed -n '/"sha256"/,/}/s/.*"hex": "\([0-9a-f]*\)".*/\1/p' "$WORK/out.txt")
measure "biolake-verify sha256,md5,crc32c,crc64nvme" "$BIN" -stats -algos sha256,md5,crc32c,crc64nvme "$FILE"
echo
if [ "$SHA" = "$GOSHA" ]; then
	echo "sha256 agrees: $SHA"
else
	echo "sha256 DIFFERS: sha256sum $SHA, biolake-verify $GOSHA" >&2
	exit 1
fi
