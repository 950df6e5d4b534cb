#!/usr/bin/env bash
# bench/api: durable creates/s with 1 and 16 concurrent clients (p50/p99), time to list 10k Services,
# watch delivery to 100 watchers. Ferry (release build) is pinned to core 0, the load to core 1.
# Usage: bench/api/run.sh [creates-per-run]   (default 2000)
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-2000}"
swift build -c release --product ferry --scratch-path .build-release >/dev/null
WORK=$(mktemp -d /tmp/ferry-bench-api.XXXXXX)
PORT=$((20000 + RANDOM % 10000)); MPORT=$((PORT + 1))
taskset -c 0 .build-release/release/ferry server --data-dir "$WORK/data" --api-listen "127.0.0.1:$PORT" \
  --metrics-listen "127.0.0.1:$MPORT" --log-level warning --proxy-mode off --dns-listen off --http-listen off --https-listen off >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do [ -f "$WORK/data/kubeconfig.yaml" ] && curl -sk "https://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
KC="$WORK/data/kubeconfig.yaml"
L="taskset -c 1 python3 bench/api/load.py $KC"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(nproc) cores  ferry: $(git rev-parse --short HEAD)"
echo "creates, 1 client:   $($L creates 1 "$N" c1)"
echo "creates, 4 clients:  $($L creates 4 "$N" c4)"
echo "creates, 16 clients: $($L creates 16 "$N" c16)"
# Fill one namespace to 10k Services for the list measurement.
$L creates 16 10000 big >/dev/null
# Let the in-process controllers finish their Endpoints/EndpointSlices for those before measuring.
echo "controllers settled: $($L settle big 10000)"
echo "list 10k services:   $($L list big)"
echo "watch fan-out:       $($L watch 100 w)"
echo "server RSS (kB):     $(ps -o rss= -p $PID)"
