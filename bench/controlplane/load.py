#!/usr/bin/env python3
"""bench/controlplane: endpoint programming latency (Pod Ready -> EndpointSlice visible to a watcher)
at S Services x P Pods, measured one flip at a time. Loopback only; every loop is bounded."""
import json, os, sys, threading, time, http.client
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from load import load_kubeconfig, Client

def main(kubeconfig, services, pods_per, samples, ns):
    cfg = load_kubeconfig(kubeconfig)
    c = Client(cfg)
    c.req("POST", "/api/v1/namespaces", json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).encode())
    # Services and pods, created by 8 writer threads.
    def make(start, step):
        w = Client(cfg)
        for i in range(start, services, step):
            w.req("POST", f"/api/v1/namespaces/{ns}/services", json.dumps({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": f"s{i}"}, "spec": {"selector": {"app": f"s{i}"}, "ports": [{"port": 80, "targetPort": 8080}]}}).encode())
            for j in range(pods_per):
                name = f"s{i}-p{j}"
                st, body = w.req("POST", f"/api/v1/namespaces/{ns}/pods", json.dumps({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "labels": {"app": f"s{i}"}},
                    "spec": {"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]}}).encode())
                ip = f"10.{(i // 250) + 1}.{i % 250}.{j + 1}"
                pod = json.loads(body)
                pod["status"] = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "conditions": [{"type": "Ready", "status": "True"}]}
                w.req("PUT", f"/api/v1/namespaces/{ns}/pods/{name}/status", json.dumps(pod).encode())
    t0 = time.time()
    ts = [threading.Thread(target=make, args=(k, 8)) for k in range(8)]
    for t in ts: t.start()
    for t in ts: t.join(timeout=1800)
    setup = time.time() - t0
    # Wait until the controller has caught up (every service has 10 ready endpoints).
    deadline = time.time() + 300
    while time.time() < deadline:
        st, body = c.req("GET", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices")
        items = json.loads(body)["items"]
        ready = sum(1 for s in items for e in (s.get("endpoints") or []) if (e.get("conditions") or {}).get("ready", True))
        if ready >= services * pods_per: break
        time.sleep(0.5)
    st, body = c.req("GET", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices?limit=1")
    rv = json.loads(body)["metadata"]["resourceVersion"]
    # One watcher on slices; a flip of pod k's readiness is measured from just before the status write
    # until the watcher sees that pod's endpoint with the new readiness.
    host, port, ctx, token = cfg
    wconn = http.client.HTTPSConnection(host, port, context=ctx, timeout=600)
    wconn.request("GET", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices?watch=true&resourceVersion={rv}&timeoutSeconds=600",
                  headers={"Authorization": "Bearer " + token})
    wresp = wconn.getresponse()
    seen = {}
    cond = threading.Condition()
    def reader():
        while True:
            line = wresp.readline()
            if not line: return
            if not line.strip(): continue
            ev = json.loads(line)
            now = time.perf_counter()
            for e in ev["object"].get("endpoints") or []:
                r = (e.get("conditions") or {}).get("ready", True)
                for a in e.get("addresses", []):
                    with cond:
                        seen[(a, r)] = now
                        cond.notify_all()
    threading.Thread(target=reader, daemon=True).start()
    lat = []
    for k in range(samples):
        i, j = (k * 7919) % services, k % pods_per
        name, ip = f"s{i}-p{j}", f"10.{(i // 250) + 1}.{i % 250}.{j + 1}"
        for ready in (False, True):
            st, body = c.req("GET", f"/api/v1/namespaces/{ns}/pods/{name}")
            pod = json.loads(body)
            pod["status"]["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
            with cond: seen.pop((ip, ready), None)
            t0 = time.perf_counter()
            c.req("PUT", f"/api/v1/namespaces/{ns}/pods/{name}/status", json.dumps(pod).encode())
            with cond:
                ok = cond.wait_for(lambda: (ip, ready) in seen, timeout=10)
            if ok: lat.append((seen[(ip, ready)] - t0) * 1000)
    lat.sort()
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None
    print(json.dumps({"services": services, "pods": services * pods_per, "setup_s": round(setup, 1), "samples": len(lat),
                      "expected": samples * 2, "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": round(lat[-1], 2) if lat else None}))

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
