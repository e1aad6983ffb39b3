#!/usr/bin/env bash
# size_budget.sh [BINARY]: fail when the stripped release binary (make
# build: -s -w -trimpath) grows past its budget, so it cannot grow
# silently again (it went from 35.7 MB to 67 MB before anyone looked:
# twilio-go's generated client for every Twilio product was 25 MB of it).
# Also fail when the package initialisers allocate more than their budget:
# they run in every process the binary starts (serve, the replicator, each
# CLI command), so what they keep is idle memory twice over and what they
# do is start-up time (compressing the assets at init once cost 16 MB and
# 49 ms per process). GODEBUG=inittrace=1 lists each package's share.
#
# Raising the budget is a decision: say in the commit what grew and why it
# is worth it. To see what grew, build without -s -w and list the largest
# symbols and packages:
#   go build -tags sqlite_fts5 -o /tmp/orengen-sym . && go tool nm -size -sort size /tmp/orengen-sym | head -50
set -euo pipefail
cd "$(dirname "$0")/.."

# Bytes. History: 67.4 MB with twilio-go; 42.9 MB without it (2026-12-04);
# 49.1 MB once sheets brought excelize (XLSX import, ~6 MB); 60.1 MB
# (2026-12-05) with GraphQL (graphql-go), the MCP SDK and jsonschema,
# IMAP with go-message's charsets (every x/text encoding, so mail in any
# charset reads), CalDAV, PDF text for the wiki, the vendored Swagger UI
# (1.5 MB) and ~3 MB of new modules (agents, inbox, calendar, API).
# Budget ~13% over the last figure.
BUDGET=${SIZE_BUDGET:-68000000}
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

# Bytes allocated by all package initialisers of `orengen version`.
# History: 23.3 MB before issue 13, 7.5 MB after, 9.8 MB with Agent
# Studio's jsonschema (1.7 MB: it compiles every draft's metaschema at init),
# 7.7 MB on 2026-12-07, 5.2 MB once phonenumbers' metadata loaded on first
# use (third_party/phonenumbers/PATCH.md), 3.3 MB once bluemonday,
# gorilla/css, goldmark, phonenumbers' regexps and ledongthuc/pdf built
# their tables on first use and x/text/language/display left the binary
# (third_party/*/PATCH.md). Of the 3.3 MB, excelize is 1.4 MB (calc.go's
# date and time regexps 0.85 MB, lib.go's table of column names 0.3 MB).
# Budget ~15% over the last figure.
INIT_BUDGET=${INIT_BUDGET:-3800000}
trace=$(GODEBUG=inittrace=1 "$BIN" version 2>&1 >/dev/null | grep '^init ' || true)
[ -n "$trace" ] || { echo "size_budget: no init trace from $BIN version" >&2; exit 1; }
init_bytes=$(awk '{ b += $8 } END { print b }' <<<"$trace")
if [ "$init_bytes" -gt "$INIT_BUDGET" ]; then
	echo "size_budget: package initialisers allocate $(mb "$init_bytes"), over their budget of $(mb "$INIT_BUDGET"). The largest:" >&2
	sort -k8 -n -r <<<"$trace" | head -8 >&2
	echo "Make the new work lazy (sync.OnceValue), or raise INIT_BUDGET in scripts/size_budget.sh with the reason in the commit." >&2
	exit 1
fi
echo "package initialisers: $(mb "$init_bytes") allocated, budget $(mb "$INIT_BUDGET") ($(( 100 * init_bytes / INIT_BUDGET ))% used)"
