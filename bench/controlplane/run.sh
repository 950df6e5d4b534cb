#!/usr/bin/env bash
# bench/controlplane: endpoint programming latency at 1k Services x 10 Pods (Pod Ready -> slice seen by a
# watcher, p50/p99), and the watch cache's memory per 10k Services (RSS of `ferry agent` before/after).
# Ferry pinned to core 0, load and agent to core 1. Usage: bench/controlplane/run.sh [services] [pods-per] [samples]
set -euo pipefail
cd "$(dirname "$0")/../.."
S="${1:-1000}"; P="${2:-10}"; N="${3:-100}"
swift build -c release --product ferry --scratch-path .build-release >/dev/null
WORK=$(mktemp -d /tmp/ferry-bench-cp.XXXXXX)
PORT=$((20000 + RANDOM % 10000)); MPORT=$((PORT + 1)); APORT=$((PORT + 2))
taskset -c 0 .build-release/release/ferry server --data-dir "$WORK/data" --api-listen "127.0.0.1:$PORT" \
  --metrics-listen "127.0.0.1:$MPORT" --log-level warning --proxy-mode off --dns-listen off --http-listen off --https-listen off >"$WORK/server.log" 2>&1 &
PID=$!
APID=""
trap 'kill $PID $APID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do [ -f "$WORK/data/kubeconfig.yaml" ] && curl -sk "https://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
KC="$WORK/data/kubeconfig.yaml"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(nproc) cores  ferry: $(git rev-parse --short HEAD)"
echo "programming latency: $(taskset -c 1 python3 bench/controlplane/load.py "$KC" "$S" "$P" "$N" bench)"
# Watch-cache memory: agent RSS once synced, before and after 10k more Services.
cp "$KC" "$WORK/agent.yaml"
taskset -c 1 .build-release/release/ferry agent --kubeconfig "$WORK/agent.yaml" --metrics-listen "127.0.0.1:$APORT" --log-level warning --proxy-mode off --dns-listen off --http-listen off --https-listen off >"$WORK/agent.log" 2>&1 &
APID=$!
sleep 3
R0=$(ps -o rss= -p $APID)
taskset -c 1 python3 bench/api/load.py "$KC" creates 16 10000 mem >/dev/null
sleep 3
for _ in $(seq 1 60); do
  N10=$(curl -s "http://127.0.0.1:$APORT/debug/cache" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for k in d["resources"]["services"]["items"] if k.startswith("mem/")))')
  [ "$N10" -ge 10000 ] && break; sleep 1
done
R1=$(ps -o rss= -p $APID)
echo "agent RSS: ${R0} kB synced before, ${R1} kB with +10000 services (${N10} seen) => $(( (R1 - R0) / 1024 )) MiB per 10k services"
