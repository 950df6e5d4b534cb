#!/usr/bin/env bash
# bench/proxy/userspace.sh: Ferry's userspace service proxy vs HAProxy (TCP mode) in front of the same
# backends, in a network namespace the script creates and deletes. The proxy (Ferry or HAProxy) is
# pinned to core 0; backends and load generators to core 1. Alternating runs.
#   throughput: iperf3, one stream, client->server and -R (server->client)
#   connection rate: wrk with "Connection: close" (a new TCP connection per request) against nginx
# Needs root, iproute2, iperf3, haproxy, wrk, nginx-light, curl.
# Usage: bench/proxy/userspace.sh [seconds-per-run] [runs]   (default 10, 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 1; }
SECS="${1:-10}"; RUNS="${2:-3}"
for t in iperf3 haproxy wrk nginx curl; do command -v $t >/dev/null || { echo "missing $t (apt-get install -y iperf3 haproxy wrk nginx-light curl)" >&2; exit 1; }; done
swift build -c release --product ferry --scratch-path .build-release >/dev/null
BIN="$PWD/.build-release/release/ferry"
NS="ferry-bench-us-$$"; W=$(mktemp -d /tmp/ferry-bench-us.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
ip netns add "$NS"
X() { ip netns exec "$NS" "$@"; }
X ip link set lo up
X ip addr add 192.168.77.1/24 dev lo
X ip route add 10.96.0.0/12 dev lo src 192.168.77.1
KC="$W/data/kubeconfig.yaml"
taskset -c 0 ip netns exec "$NS" "$BIN" server --data-dir "$W/data" --proxy-mode userspace --node-ip 192.168.77.1 \
  --dns-listen 127.0.0.1:1053 --upstream 127.0.0.1:9 --http-listen off --https-listen off --log-level warning >"$W/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do [ -f "$KC" ] && X curl -sk https://127.0.0.1:6443/readyz >/dev/null 2>&1 && break; sleep 0.1; done
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(nproc) cores  ferry: $(git rev-parse --short HEAD)  haproxy: $(haproxy -v | head -1 | cut -d' ' -f3)  iperf3: $(iperf3 -v | head -1 | cut -d' ' -f2)"

# Backends as Pods (core 1): an iperf3 server and nginx answering "ok" on every path.
cat >"$W/nginx.conf.in" <<'CONF'
worker_processes 1;
daemon off;
pid WORKDIR/nginx.pid;
error_log stderr error;
events { worker_connections 8192; }
http { access_log off; server { listen POD_IP:POD_PORT backlog=4096; location / { return 200 "ok\n"; } } }
CONF
taskset -c 1 ip netns exec "$NS" "$BIN" run iperf --labels app=iperf --port tcp:5201 --kubeconfig "$KC" -- \
  sh -c 'exec iperf3 -s -B "$POD_IP" -p "$PORT"' >"$W/iperf.log" 2>&1 &
PIDS+=($!)
taskset -c 1 ip netns exec "$NS" "$BIN" run web --labels app=web --port http:8080 --kubeconfig "$KC" -- \
  sh -c "sed -e \"s/POD_IP/\$POD_IP/; s/POD_PORT/\$PORT/; s|WORKDIR|$W|\" $W/nginx.conf.in > $W/nginx.conf && exec nginx -c $W/nginx.conf" >"$W/web.log" 2>&1 &
PIDS+=($!)
X kubectl --kubeconfig "$KC" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: iperf}
spec:
  selector: {app: iperf}
  ports: [{name: tcp, port: 5201, targetPort: tcp}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
YAML
ep() { X kubectl --kubeconfig "$KC" get endpointslices -l "kubernetes.io/service-name=$1" -o jsonpath='{.items[0].endpoints[0].addresses[0]}:{.items[0].ports[0].port}' 2>/dev/null || true; }
for _ in $(seq 1 300); do [ -n "$(ep iperf | cut -d: -f1)" ] && [ -n "$(ep web | cut -d: -f1)" ] && break; sleep 0.1; done
IPERF_EP=$(ep iperf); WEB_EP=$(ep web)
IPERF_VIP=$(X kubectl --kubeconfig "$KC" get svc iperf -o jsonpath='{.spec.clusterIP}')
WEB_VIP=$(X kubectl --kubeconfig "$KC" get svc web -o jsonpath='{.spec.clusterIP}')
for _ in $(seq 1 100); do X curl -s -m 1 "http://$WEB_VIP/" >/dev/null && break; sleep 0.1; done
echo "backends: iperf3 $IPERF_EP, nginx $WEB_EP; Ferry VIPs $IPERF_VIP:5201, $WEB_VIP:80"

cat >"$W/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 8192
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen iperf
  bind 192.168.77.1:15201
  server s1 $IPERF_EP
listen web
  bind 192.168.77.1:18080
  server s1 $WEB_EP
CONF
taskset -c 0 ip netns exec "$NS" haproxy -f "$W/haproxy.cfg" -db >"$W/haproxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do X curl -s -m 1 "http://192.168.77.1:18080/" >/dev/null && break; sleep 0.1; done

iperf() { # host port [-R] -> Gbit/s
  X taskset -c 1 iperf3 -c "$1" -p "$2" -t "$SECS" $3 -J 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin); print(round(d["end"]["sum_received"]["bits_per_second"] / 1e9, 2))' || echo "?"
}
conns() { # url -> requests (= connections) per second
  X taskset -c 1 wrk -t1 -c50 -d"${SECS}s" -H "Connection: close" "$1" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'
}
FP=$(pgrep -f "$W/data" | head -1); (sleep 2; perf record -F 999 -g -p $FP -o /tmp/us.perf -- sleep 6 >/dev/null 2>&1) & conns "http://$WEB_VIP:80/"; wait; exit 0
for run in $(seq 1 "$RUNS"); do
  echo "run $run:"
  for target in "ferry $IPERF_VIP 5201 $WEB_VIP:80" "haproxy 192.168.77.1 15201 192.168.77.1:18080"; do
    set -- $target
    printf "  %-8s iperf3 %6s Gbit/s  -R %6s Gbit/s  new connections %7s/s\n" "$1" "$(iperf "$2" "$3" "")" "$(iperf "$2" "$3" -R)" "$(conns "http://$4/")"
  done
done
echo "direct (no proxy): iperf3 $(iperf "${IPERF_EP%:*}" "${IPERF_EP#*:}" "") Gbit/s  new connections $(conns "http://$WEB_EP/")/s"
