#!/usr/bin/env bash
# Ingress churn under load: COUNT Ingresses created, updated and deleted while wrk requests a stable
# host through Ferry; 0 failed requests expected (see churn.py).
# Usage: bench/ingress/churn.sh [COUNT]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product ferry --scratch-path .build-release >/dev/null
WORK=$(mktemp -d /tmp/ferry-bench-churn.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(nproc) cores  ferry: $(git rev-parse --short HEAD)"
python3 bench/ingress/churn.py "$PWD/.build-release/release/ferry" "$WORK" "${1:-10000}"
