#!/usr/bin/env bash
# Load benchmark on loopback: orengen's marketing home and /healthz, and
# nginx (Debian's package) serving the same bytes, at the same concurrency,
# in the same run, and the peak RSS under that load.
# Prints a Markdown table for docs/BENCHMARKS.md. Traffic goes to
# 127.0.0.1 only; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
BIN=${BIN:-./orengen}

for tool in wrk nginx curl; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get install -y -q "$tool" >/dev/null
    else
      echo "bench: $tool is missing: apt-get install -y $tool" >&2
      exit 1
    fi
  fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$work/nginx.pid" ]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# wait_200 URL [HOST]: poll until a 200, for at most 10 s.
wait_200() {
  for _ in $(seq 1 2000); do
    curl -fsS -o /dev/null -H "Host: ${2:-localhost}" "$1" 2>/dev/null && return 0
    sleep 0.005
  done
  echo "bench: $1 did not answer 200 within 10 s" >&2
  return 1
}

# The server for the static comparison (start-up and idle memory, with the
# replicator, are measured side by side with PocketBase by bench_peers.sh).
port=$(free_port)
"$BIN" serve --data-dir "$work/data" --backup-dir "" --http-addr "127.0.0.1:$port" --log-level warn >"$work/out" 2>"$work/err" &
pid=$!
pids+=("$pid")
wait_200 "http://127.0.0.1:$port/healthz"
curl -fsS -o /dev/null -H "Host: localhost" "http://127.0.0.1:$port/" # render and cache the home page

# nginx serving the very same bytes.
mkdir -p "$work/www"
chmod 755 "$work" "$work/www" # nginx workers run as nobody
curl -fsS -H "Host: localhost" "http://127.0.0.1:$port/" -o "$work/www/index.html"
chmod 644 "$work/www/index.html"
bytes=$(wc -c <"$work/www/index.html")
nport=$(free_port)
cat >"$work/nginx.conf" <<NGX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $work/ngx-body;
  proxy_temp_path $work/ngx-proxy;
  fastcgi_temp_path $work/ngx-fcgi;
  uwsgi_temp_path $work/ngx-uwsgi;
  scgi_temp_path $work/ngx-scgi;
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
    location = / { default_type "text/html; charset=utf-8"; try_files /index.html =404; }
  }
}
NGX
"$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log"
wait_200 "http://127.0.0.1:$nport/"

# wrk prints Requests/sec and a latency distribution; keep req/s and p99.
run_wrk() { # url host
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Host: $2" "$1" >"$work/wrk.txt" 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt")
  echo "$rps $p99"
}

read -r ng_rps ng_p99 < <(run_wrk "http://127.0.0.1:$nport/" localhost)
peak_kb=0
( while sleep 0.2; do r=$(rss_kb "$pid" 2>/dev/null || echo 0); echo "$r"; done ) >"$work/rss.txt" &
sampler=$!
pids+=("$sampler")
read -r og_rps og_p99 < <(run_wrk "http://127.0.0.1:$port/" localhost)
read -r hz_rps hz_p99 < <(run_wrk "http://127.0.0.1:$port/healthz" localhost)
kill "$sampler" 2>/dev/null || true
peak_kb=$(sort -n "$work/rss.txt" | tail -1)
ratio=$(awk -v a="$og_rps" -v b="$ng_rps" 'BEGIN { printf "%.2f", a / b }')

cat <<MD
Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); date $(date -u +%Y-%m-%d); wrk -t$THREADS -c$CONNS -d$DURATION on 127.0.0.1, same run.

| what | figure |
| --- | --- |
| marketing home (orengen), requests/s | $og_rps (p99 $og_p99) |
| same $bytes bytes from nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), requests/s | $ng_rps (p99 $ng_p99) |
| orengen / nginx ratio | $ratio |
| /healthz (orengen), requests/s | $hz_rps (p99 $hz_p99) |
| RSS peak under this load (no replicator) | $((peak_kb / 1024)) MiB |
MD
