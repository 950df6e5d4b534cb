#!/usr/bin/env bash
# bench/proxy: nftables mode at N Services x 10 endpoints (default 1000 and 10000): full-sync time
# (a restart programs everything in one transaction), partial-sync time (one Service's endpoints
# changed), the `nft -f` CLI loading the same ruleset by itself, and programming latency (a Service
# created -> its ClusterIP accepts connections; deleted -> refused). Needs root, iproute2, nftables.
# Everything runs in a network namespace the script creates and deletes; Ferry on core 0.
# Usage: bench/proxy/run.sh ["1000 10000"] [latency-samples]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/proxy needs root (network namespace, nftables)" >&2; exit 1; }
SIZES="${1:-1000 10000}"; SAMPLES="${2:-100}"
swift build -c release --product ferry --scratch-path .build-release >/dev/null
BIN="$PWD/.build-release/release/ferry"
NS="ferry-bench-$$"; WORK=$(mktemp -d /tmp/ferry-bench-proxy.XXXXXX)
PID=""; POD=""
cleanup() {
  [ -n "$POD" ] && kill "$POD" 2>/dev/null && wait "$POD" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
X() { ip netns exec "$NS" "$@"; }
X ip link set lo up
X ip addr add 192.168.77.1/24 dev lo
X ip route add 10.96.0.0/12 dev lo src 192.168.77.1
KC="$WORK/data/kubeconfig.yaml"
start() {
  rm -f "$KC"
  taskset -c 0 ip netns exec "$NS" "$BIN" server --data-dir "$WORK/data" --proxy-mode nftables --node-ip 192.168.77.1 \
    --dns-listen 127.0.0.1:1053 --upstream 127.0.0.1:9 --http-listen off --https-listen off \
    --metrics-listen 127.0.0.1:10249 --log-level warning >>"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do [ -f "$KC" ] && X curl -sk https://127.0.0.1:6443/readyz >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not start" >&2; tail -20 "$WORK/server.log" >&2; exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
metric() { X curl -s http://127.0.0.1:10249/metrics | awk -v m="$1" '$1 == m { print $2 }' | head -1; }
wait_metric_ge() { # name value
  for _ in $(seq 1 ${3:-240}); do v=$(metric "$1"); [ -n "$v" ] && python3 -c "import sys; sys.exit(0 if float('$v') >= float('$2') else 1)" && return; sleep 0.25; done
  echo "timeout waiting for $1 >= $2 (now: $(metric "$1"))" >&2
}
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(nproc) cores  ferry: $(git rev-parse --short HEAD)  nft: $(nft --version)"
start
# A ready Pod for the latency samples (selector app=lat, named port http).
taskset -c 1 ip netns exec "$NS" "$BIN" run lat --labels app=lat --port http:8080 --kubeconfig "$KC" -- \
  python3 -m http.server 8080 --bind 0.0.0.0 >"$WORK/pod.log" 2>&1 &
POD=$!
TOTAL=0
for N in $SIZES; do
  ADD=$((N - TOTAL))
  [ "$ADD" -gt 0 ] && X taskset -c 1 python3 bench/proxy/load.py fill "$KC" "$ADD" "$TOTAL" >/dev/null
  TOTAL=$N
  wait_metric_ge kubeproxy_sync_proxy_rules_services_total "$N"
  # Full sync: restart; the first sync programs everything in one transaction.
  stop; start
  wait_metric_ge kubeproxy_sync_full_proxy_rules_duration_seconds_count 1
  FULL=$(python3 -c "print(round(float('$(metric kubeproxy_sync_full_proxy_rules_duration_seconds_sum)') * 1000, 1))")
  # Partial syncs: 20 single-Service changes (the port of one Service's endpoints), one at a time.
  C0=$(metric kubeproxy_sync_partial_proxy_rules_duration_seconds_count); C0=${C0:-0}; S0=$(metric kubeproxy_sync_partial_proxy_rules_duration_seconds_sum); S0=${S0:-0}
  for i in $(seq 1 20); do
    X kubectl --kubeconfig "$KC" -n bench patch endpointslice "s$i-1" --type=json -p "[{\"op\":\"replace\",\"path\":\"/ports/0/port\",\"value\":$((10000 + N / 10 + i))}]" >/dev/null
    wait_metric_ge kubeproxy_sync_partial_proxy_rules_duration_seconds_count "$(python3 -c "print(float('$C0') + $i)")" 40
  done
  C1=$(metric kubeproxy_sync_partial_proxy_rules_duration_seconds_count); S1=$(metric kubeproxy_sync_partial_proxy_rules_duration_seconds_sum)
  PART=$(python3 -c "print(round((float('$S1') - float('$S0')) / max(1, float('$C1') - float('$C0')) * 1000, 1))")
  # The nft CLI alone, loading the ruleset Ferry programmed (table flushed first).
  X nft list table ip ferry >"$WORK/ruleset.nft"
  RULES=$(wc -l <"$WORK/ruleset.nft")
  CLI=$(X python3 -c "
import subprocess, time
subprocess.run(['nft', 'delete', 'table', 'ip', 'ferry'], check=True)
t = time.perf_counter(); subprocess.run(['nft', '-f', '$WORK/ruleset.nft'], check=True); print(round((time.perf_counter() - t) * 1000, 1))")
  stop; start  # back to Ferry's own table
  wait_metric_ge kubeproxy_sync_full_proxy_rules_duration_seconds_count 1
  echo "services $N x 10 endpoints: full sync ${FULL} ms; partial sync mean ${PART} ms over $((${C1%.*} - ${C0%.*})) syncs; nft -f alone ${CLI} ms (${RULES} lines)"
done
echo "programming latency (Service create -> ClusterIP connects; delete -> refused), $TOTAL Services: $(X taskset -c 1 python3 bench/proxy/load.py latency "$KC" "$SAMPLES")"
echo "server RSS: $(ps -o rss= -p $(pgrep -f "$WORK/data" | head -1)) kB"
