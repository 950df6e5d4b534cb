#!/usr/bin/env bash
# bench/ingress: Ferry's ingress vs nginx and HAProxy in front of the same backend, each proxy pinned
# to core 0, backend and load on core 1 (bench.py); or, with `churn`, COUNT Ingresses created,
# updated and deleted while wrk requests a stable host through Ferry, 0 failures expected (churn.py).
# Needs nginx-light, haproxy, wrk, nghttp2-client (h2load), kubectl, openssl, curl.
# Usage: bench/ingress/run.sh [seconds-per-run]    (default 10)
#        bench/ingress/run.sh churn [COUNT]        (default 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product ferry --scratch-path .build-release >/dev/null
WORK=$(mktemp -d /tmp/ferry-bench-ingress.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FERRY="$PWD/.build-release/release/ferry"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(nproc) cores  ferry: $(git rev-parse --short HEAD)  nginx: $(nginx -v 2>&1 | cut -d/ -f2)  haproxy: $(haproxy -v | head -1 | cut -d' ' -f3)"
if [ "${1:-}" = churn ]; then
  python3 bench/ingress/churn.py "$FERRY" "$WORK" "${2:-10000}"
else
  python3 bench/ingress/bench.py "$FERRY" "$WORK" "${1:-10}"
fi
