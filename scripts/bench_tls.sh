#!/usr/bin/env bash
# bench_tls.sh: TLS figures on loopback, bounded (about a minute).
#   - full and resumed TLS handshakes/s, TLS 1.3 and 1.2 (a small Go
#     client: TestBenchHandshakes, 10 s each)
#   - requests/s for the marketing home over HTTPS vs plain HTTP
#     (wrk, keep-alive, same threads and connections, 10 s each)
# The HTTPS server is the real `orengen serve --tls=auto` with certificates
# from pebble (an ACME test server, run in process by a Go test on
# loopback); the plain one is `orengen serve --tls=off`.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-10}
THREADS=${THREADS:-2}
CONNS=${CONNS:-50}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
	touch "$work/stop"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "building orengen ..."
CGO_ENABLED=1 go build -tags sqlite_fts5 -o "$work/orengen" .

ORENGEN_BENCH_PEBBLE=$work go test -tags sqlite_fts5 -count=1 -run '^TestBenchPebble$' -timeout 6m ./cli >"$work/pebble.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do [ -f "$work/env" ] && break; sleep 0.2; done
[ -f "$work/env" ] || { echo "pebble did not start" >&2; cat "$work/pebble.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$work/env"

"$work/orengen" serve --data-dir "$work/tls" --backup-dir "" --domain example.test --tls auto \
	--http-addr "$HTTP_ADDR" --https-addr "$HTTPS_ADDR" --acme-ca "$ACME_CA" --acme-ca-root "$ACME_ROOT" \
	--dns-resolver "$DNS" --public-ips 127.0.0.1 --log-level warn >"$work/tls.out" 2>&1 &
pids+=($!)
plain_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$work/orengen" serve --data-dir "$work/plain" --backup-dir "" --domain example.test --tls off \
	--http-addr "127.0.0.1:$plain_port" --log-level warn >"$work/plain.out" 2>&1 &
pids+=($!)

ok=""
for _ in $(seq 1 300); do
	if curl -fsk --resolve "example.test:$HTTPS_PORT:127.0.0.1" "https://example.test:$HTTPS_PORT/" -o /dev/null 2>/dev/null &&
		curl -fs -H 'Host: example.test' "http://127.0.0.1:$plain_port/" -o /dev/null 2>/dev/null; then ok=1; break; fi
	sleep 0.2
done
[ -n "$ok" ] || { echo "servers not ready" >&2; cat "$work/tls.out" "$work/plain.out" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== certificate: $(openssl s_client -connect "$HTTPS_ADDR" -servername example.test </dev/null 2>/dev/null | openssl x509 -noout -issuer -enddate 2>/dev/null | tr '\n' ' ')"
echo "== TLS handshakes/s (Go client, $THREADS goroutines, ${DUR}s each; client and server share the machine)"
ORENGEN_BENCH_HTTPS=$HTTPS_ADDR ORENGEN_BENCH_DUR=${DUR}s ORENGEN_BENCH_CONC=$THREADS \
	go test -tags sqlite_fts5 -count=1 -run '^TestBenchHandshakes$' -v ./cli | grep handshakes:
echo "== wrk HTTPS home: -t$THREADS -c$CONNS -d${DUR}s"
wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" -H 'Host: example.test' -H 'Accept-Encoding: br' "https://127.0.0.1:$HTTPS_PORT/"
echo "== wrk HTTP home: -t$THREADS -c$CONNS -d${DUR}s"
wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" -H 'Host: example.test' -H 'Accept-Encoding: br' "http://127.0.0.1:$plain_port/"
