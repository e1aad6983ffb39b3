#!/usr/bin/env bash
# bench_peers.sh: orengen side by side with PocketBase in one run (part of
# `make bench`): binary size, cold start and restart to the first 200, idle
# and loaded memory, and creates/s at 64 connections as the database grows
# (TestBenchPeers in cli/bench_peers_test.go). PocketBase is built from the
# module proxy into a temporary GOBIN (its examples/base main) and never
# committed. Loopback only; about six minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

PB_VERSION=${PB_VERSION:-v0.36.8}
BIN=${BIN:-./orengen}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench_peers: $BIN is missing: make build" >&2; exit 1; }

gobin=$(mktemp -d)
trap 'rm -rf "$gobin"' EXIT
echo "building PocketBase $PB_VERSION (examples/base) ..."
GOBIN=$gobin CGO_ENABLED=0 go install "github.com/pocketbase/pocketbase/examples/base@$PB_VERSION"

ORENGEN_BENCH_PEERS=1 ORENGEN_BENCH_BIN="$BIN" ORENGEN_BENCH_POCKETBASE="$gobin/base" \
	go test -tags sqlite_fts5 -count=1 -run '^TestBenchPeers$' -v -timeout 30m ./cli | grep -v '^=== RUN\|^--- PASS\|^PASS\|^ok '
