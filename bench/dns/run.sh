#!/usr/bin/env bash
# bench/dns: dnsperf against Ferry, NSD and Unbound serving the same cluster zone (N Services, 1 in 10
# headless with 3 endpoints), the server pinned to core 0 and dnsperf to core 1, three alternating runs.
# Then the programming latency (Service created -> resolvable) and RSS.
# Usage: bench/dns/run.sh [services] [seconds-per-run]   (default 10000, 10)
# Needs: apt-get install -y dnsperf nsd unbound
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-10000}"; SECS="${2:-10}"
for t in dnsperf nsd unbound; do command -v $t >/dev/null || { echo "missing $t: apt-get install -y dnsperf nsd unbound" >&2; exit 1; }; done
swift build -c release --product ferry --scratch-path .build-release >/dev/null
WORK=$(mktemp -d /tmp/ferry-bench-dns.XXXXXX)
PORT=$((20000 + RANDOM % 10000)); MPORT=$((PORT + 1)); DPORT=$((PORT + 2)); NSDPORT=$((PORT + 3)); UBPORT=$((PORT + 4))
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
taskset -c 0 .build-release/release/ferry server --data-dir "$WORK/data" --api-listen "127.0.0.1:$PORT" \
  --metrics-listen "127.0.0.1:$MPORT" --log-level warning --proxy-mode off --http-listen off --https-listen off \
  --dns-listen "127.0.0.1:$DPORT" --upstream 127.0.0.1:9 >"$WORK/ferry.log" 2>&1 &
FERRY=$!; PIDS+=($FERRY)
for _ in $(seq 1 100); do [ -f "$WORK/data/kubeconfig.yaml" ] && curl -sk "https://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
KC="$WORK/data/kubeconfig.yaml"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(nproc) cores  ferry: $(git rev-parse --short HEAD)  nsd: $(nsd -v 2>&1 | head -1 | awk '{print $3}')  unbound: $(unbound -V | head -1 | awk '{print $2}')"
SETUP=$(taskset -c 1 python3 bench/dns/zone.py "$KC" "$WORK" "$N")
echo "zone: $SETUP"
LAST=$(echo "$SETUP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["last"])')
for _ in $(seq 1 600); do [ -n "$(dig @127.0.0.1 -p "$DPORT" +short +time=1 +tries=1 "$LAST" A)" ] && break; sleep 0.1; done

cat >"$WORK/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$NSDPORT
  server-count: 1
  username: ""
  zonesdir: "$WORK"
  database: ""
  zonelistfile: "$WORK/zone.list"
  xfrdfile: "$WORK/xfrd.state"
  xfrdir: "$WORK"
  pidfile: "$WORK/nsd.pid"
  verbosity: 0
  hide-version: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "cluster.local"
  zonefile: "cluster.local.zone"
zone:
  name: "10.in-addr.arpa"
  zonefile: "10.in-addr.arpa.zone"
CONF
cat >"$WORK/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@$UBPORT
  num-threads: 1
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: "$WORK/unbound.pid"
  do-daemonize: no
  use-syslog: no
  logfile: "$WORK/unbound.log"
  verbosity: 0
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
$(cat "$WORK/local-data.conf")
remote-control:
  control-enable: no
CONF
taskset -c 0 nsd -d -c "$WORK/nsd.conf" >"$WORK/nsd.log" 2>&1 & NSD=$!; PIDS+=($NSD)
taskset -c 0 unbound -d -c "$WORK/unbound.conf" >"$WORK/unbound.out" 2>&1 & UB=$!; PIDS+=($UB)
for _ in $(seq 1 300); do
  [ -n "$(dig @127.0.0.1 -p "$NSDPORT" +short +time=1 +tries=1 "$LAST" A)" ] && [ -n "$(dig @127.0.0.1 -p "$UBPORT" +short +time=1 +tries=1 "$LAST" A)" ] && break
  sleep 0.2
done
# Same answers from Ferry and NSD for a sample of the query file (sorted +short output).
MISMATCH=0
while read -r name type; do
  a=$(dig @127.0.0.1 -p "$DPORT" +short +time=2 +tries=1 "$name" "$type" | sort); b=$(dig @127.0.0.1 -p "$NSDPORT" +short +time=2 +tries=1 "$name" "$type" | sort)
  [ "$a" == "$b" ] || { MISMATCH=$((MISMATCH + 1)); echo "differs: $name $type: ferry [$a] nsd [$b]" >&2; }
done < <(head -50 "$WORK/queries.txt")
echo "answers differing from NSD in the first 50 queries: $MISMATCH"

perf() { # name port: max-throughput run (QPS, average latency, lost), then a fixed 20k QPS run for p50/p99
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$2" -d "$WORK/queries.txt" -l "$SECS" -c 1 -q 100 -t 2 >"$WORK/perf.out" 2>&1 || true
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$2" -d "$WORK/queries.txt" -l 5 -c 1 -Q 20000 -t 2 -v >"$WORK/fixed.out" 2>&1 || true
  python3 bench/dns/report.py "$1" "$WORK/perf.out" "$WORK/fixed.out"
}
for run in 1 2 3; do
  echo "run $run:"
  perf ferry "$DPORT"; perf nsd "$NSDPORT"; perf unbound "$UBPORT"
done
echo "RSS (kB) with $N Services: ferry $(ps -o rss= -p $FERRY)  nsd $(ps -o rss= --ppid $NSD | sort -n | tail -1 || true)/$(ps -o rss= -p $NSD)  unbound $(ps -o rss= -p $UB)"
echo "programming latency: $(taskset -c 1 python3 bench/dns/latency.py "$KC" "$DPORT" 200)"
