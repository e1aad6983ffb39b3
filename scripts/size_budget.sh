#!/usr/bin/env bash
# size_budget.sh [BINARY]: fail when the stripped release binary (make
# build: -s -w -trimpath) grows past its budget, so it cannot grow
# silently again (it went from 35.7 MB to 67 MB before anyone looked:
# twilio-go's generated client for every Twilio product was 25 MB of it).
#
# Raising the budget is a decision: say in the commit what grew and why it
# is worth it. To see what grew, build without -s -w and list the largest
# symbols and packages:
#   go build -tags sqlite_fts5 -o /tmp/orengen-sym . && go tool nm -size -sort size /tmp/orengen-sym | head -50
set -euo pipefail
cd "$(dirname "$0")/.."

# Bytes. History: 67.4 MB with twilio-go; 42.9 MB without it (2026-12-04);
# 49.1 MB once sheets brought excelize (XLSX import, ~6 MB). Budget ~14%
# over the last figure.
BUDGET=${SIZE_BUDGET:-56000000}
BIN=${1:-./orengen}
[ -f "$BIN" ] || { echo "size_budget: $BIN is missing: make build" >&2; exit 1; }
size=$(stat -c %s "$BIN")
if readelf -S "$BIN" | grep -q '\.symtab'; then # readelf: binutils, there with gcc
	echo "size_budget: $BIN is not stripped; build it with make build" >&2
	exit 1
fi
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
if [ "$size" -gt "$BUDGET" ]; then
	echo "size_budget: $BIN is $(mb "$size"), over its budget of $(mb "$BUDGET")." >&2
	echo "Find what grew (see the comment at the top of scripts/size_budget.sh), or raise SIZE_BUDGET there with the reason in the commit." >&2
	exit 1
fi
echo "binary size: $(mb "$size") stripped, budget $(mb "$BUDGET") ($(( 100 * size / BUDGET ))% used)"
