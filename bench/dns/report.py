#!/usr/bin/env python3
"""One line per dnsperf pair: QPS/avg/lost from the max-throughput run, p50/p99 from the fixed-rate -v run."""
import re, sys
name, maxrun, fixed = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
def g(t, p):
    m = re.search(p, t)
    return m.group(1) if m else "?"
lat = sorted(float(m) for m in re.findall(r"^> \S+ \S+ \S+ ([\d.]+)$", fixed, re.M))
def q(p):
    return f"{lat[min(len(lat) - 1, int(p * len(lat)))] * 1e6:.0f}" if lat else "?"
qps = g(maxrun, r"Queries per second:\s+([\d.]+)")
avg = g(maxrun, r"Average Latency \(s\):\s+([\d.]+)")
avg_us = f"{float(avg) * 1e6:.0f}" if avg != "?" else "?"
lost, lost_fixed = g(maxrun, r"Queries lost:\s+(\d+)"), g(fixed, r"Queries lost:\s+(\d+)")
print(f"{name:8} max: qps {qps:>10}  avg {avg_us:>5} us  lost {lost:>4}   at 20k qps: p50 {q(0.5):>4} us  p99 {q(0.99):>5} us  lost {lost_fixed}")
