#!/usr/bin/env python3
"""Ingress churn under load: `wrk` keeps requesting one stable Ingress host through Ferry while COUNT
other Ingresses are created, updated and deleted through the API (8 concurrent clients). Reports
wrk's totals: the acceptance is 0 failed requests (socket errors or non-2xx) across all changes.

Ferry is pinned to core 0, the backend (nginx), wrk and the API clients to core 1. Loopback only;
every process started here is stopped by PID; every loop is bounded.

Usage: bench/ingress/churn.py FERRY_BINARY WORKDIR [COUNT]   (default 10000); bench/ingress/run.sh churn [COUNT]
"""
import json, os, re, signal, subprocess, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import bench  # noqa: E402  (bench/ingress/bench.py)
import load  # noqa: E402  (bench/api/load.py)


def ingress(name, path="/", annotations=None):
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
        "spec": {"ingressClassName": "ferry", "rules": [{"host": f"{name}.churn.local", "http": {"paths": [
            {"path": path, "pathType": "Prefix", "backend": {"service": {"name": "backend", "port": {"number": 80}}}}]}}]},
    }).encode()


def wait_status(url, host, path, want, limit=300):
    """Seconds until Ferry answers `want` for host+path (bounded), else None."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Host: {host}", url + path.lstrip("/")],
                           capture_output=True, text=True)
        if r.stdout == str(want):
            return round(time.perf_counter() - t0, 2)
        time.sleep(0.1)
    return None


def churn(cfg, count, url, workers=8):
    """Creates, then updates (path and an annotation), then deletes `count` Ingresses, checking after
    each phase that the last Ingress's route appeared, moved and went away. Returns per-phase seconds,
    the route checks and API errors."""
    base = "/apis/networking.k8s.io/v1/namespaces/default/ingresses"
    phases = {}
    errors = [0]
    lock = threading.Lock()

    def run(phase, op):
        def worker(w):
            c = load.Client(cfg)
            for i in range(w, count, workers):
                st, body = op(c, f"churn-{i}")
                if st not in (200, 201):
                    with lock:
                        errors[0] += 1
                        if errors[0] <= 5:
                            print(f"{phase} churn-{i}: {st} {body[:200]!r}", file=sys.stderr)
        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
        for t in ts: t.start()
        for t in ts: t.join(timeout=900)
        phases[phase] = round(time.perf_counter() - t0, 1)

    last = f"churn-{count - 1}.churn.local"
    routed = {}
    run("create", lambda c, n: c.req("POST", base, ingress(n)))
    routed["create_s"] = wait_status(url, last, "/", 200)
    run("update", lambda c, n: c.req("PATCH", f"{base}/{n}", json.dumps({
        "metadata": {"annotations": {"churn": "updated"}},
        "spec": {"rules": [{"host": f"{n}.churn.local", "http": {"paths": [
            {"path": "/v2", "pathType": "Prefix", "backend": {"service": {"name": "backend", "port": {"number": 80}}}}]}}]},
    }).encode(), "application/merge-patch+json"))
    routed["update_s"] = wait_status(url, last, "/v2/x", 200)
    routed["update_old_path_404"] = wait_status(url, last, "/", 404) is not None
    run("delete", lambda c, n: c.req("DELETE", f"{base}/{n}"))
    routed["delete_s"] = wait_status(url, last, "/v2/x", 404)
    return phases, routed, errors[0]


def main():
    bench.FERRY, bench.WORK = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    bench.need("nginx", "wrk", "kubectl", "curl")
    backend_port = bench.start_backend()
    h, s = bench.free_port(), bench.free_port()
    ferry, kubectl, kc = bench.start_ferry(h, s)
    kubectl("apply", "-f", "-", input=bench.backend_manifest(backend_port, host="stable.local", name="stable"))
    url = f"http://127.0.0.1:{h}/"
    t0 = time.time()
    while time.time() - t0 < 60:
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: stable.local", url],
                           capture_output=True, text=True)
        if r.stdout == "200":
            break
        time.sleep(0.2)
    # wrk runs until interrupted (bounded by -d), then prints its totals.
    wrk = subprocess.Popen(["taskset", "-c", bench.LOAD_CORE, "wrk", "-t1", "-c32", "-d1800s", "--timeout", "5s",
                            "-H", "Host: stable.local", url], stdout=subprocess.PIPE, text=True, start_new_session=True)
    bench.started.append(wrk)
    time.sleep(2)
    cfg = load.load_kubeconfig(kc)
    t0 = time.perf_counter()
    phases, routed, api_errors = churn(cfg, count, url)
    elapsed = round(time.perf_counter() - t0, 1)
    time.sleep(2)
    os.killpg(wrk.pid, signal.SIGINT)
    out, _ = wrk.communicate(timeout=60)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    failed = bench.wrk_failures(out)
    rss = int(open(f"/proc/{ferry.pid}/status").read().split("VmRSS:")[1].split()[0])
    print(json.dumps({"ingress_changes": 3 * count, "api_errors": api_errors, "phases_s": phases,
                      "last_route_after_phase": routed, "churn_s": elapsed,
                      "wrk_requests": total, "wrk_failed": failed, "ferry_rss_kib": rss}), flush=True)
    if failed or api_errors or None in routed.values() or not routed["update_old_path_404"]:
        print(out, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in reversed(bench.started):
            bench.stop(p)
