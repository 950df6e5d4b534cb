#!/usr/bin/env python3
"""bench/proxy helpers (run inside the bench's network namespace). Loopback and the namespace only.

  fill KUBECONFIG N [START]   N selectorless Services, each with an EndpointSlice of 10 endpoints
  latency KUBECONFIG SAMPLES  Service (with a selector matching a ready Pod) created -> its ClusterIP
                              accepts a TCP connection; then the Service deleted -> refused again
"""
import json, os, socket, sys, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from load import load_kubeconfig, Client

def fill(cfg, start, n, ns="bench"):
    c = Client(cfg)
    c.req("POST", "/api/v1/namespaces", json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).encode())
    errors = [0]
    def make(first, step):
        w = Client(cfg)
        for i in range(first, start + n, step):
            st, _ = w.req("POST", f"/api/v1/namespaces/{ns}/services", json.dumps({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": f"s{i}"}, "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}).encode())
            eps = [{"addresses": [f"10.{200 + j}.{i // 250}.{i % 250 + 1}"], "conditions": {"ready": True}} for j in range(10)]
            st2, _ = w.req("POST", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", json.dumps({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": f"s{i}-1", "labels": {"kubernetes.io/service-name": f"s{i}"}},
                "addressType": "IPv4", "endpoints": eps, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}).encode())
            if st != 201 or st2 != 201: errors[0] += 1
    ts = [threading.Thread(target=make, args=(start + k, 8)) for k in range(8)]
    for t in ts: t.start()
    for t in ts: t.join(timeout=3600)
    return {"services": n, "endpoints": n * 10, "errors": errors[0]}

def connects(ip, port):
    s = socket.socket()
    s.settimeout(0.05)
    try:
        s.connect((ip, port)); return True
    except OSError:
        return False
    finally:
        s.close()

def latency(cfg, samples, ns="default"):
    c = Client(cfg)
    up, down, failed = [], [], 0
    for k in range(samples):
        name = f"lat{k}"
        st, body = c.req("POST", f"/api/v1/namespaces/{ns}/services", json.dumps({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name}, "spec": {"selector": {"app": "lat"}, "ports": [{"port": 80, "targetPort": "http"}]}}).encode())
        t0 = time.perf_counter()
        if st != 201: failed += 1; continue
        ip = json.loads(body)["spec"]["clusterIP"]
        ok = False
        while time.perf_counter() - t0 < 5:
            if connects(ip, 80): ok = True; break
            time.sleep(0.0005)
        if ok: up.append(time.perf_counter() - t0)
        else: failed += 1
        st, _ = c.req("DELETE", f"/api/v1/namespaces/{ns}/services/{name}")
        t1 = time.perf_counter()
        gone = False
        while time.perf_counter() - t1 < 5:
            if not connects(ip, 80): gone = True; break
            time.sleep(0.0005)
        if gone: down.append(time.perf_counter() - t1)
        else: failed += 1
    def q(lat, p):
        lat = sorted(lat)
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None
    return {"samples": samples, "failed": failed,
            "create_to_reachable_ms": {"p50": q(up, .5), "p99": q(up, .99), "max": q(up, 1)},
            "delete_to_refused_ms": {"p50": q(down, .5), "p99": q(down, .99), "max": q(down, 1)}}

if __name__ == "__main__":
    cfg = load_kubeconfig(sys.argv[2])
    if sys.argv[1] == "fill": print(json.dumps(fill(cfg, int(sys.argv[4]) if len(sys.argv) > 4 else 0, int(sys.argv[3]))))
    else: print(json.dumps(latency(cfg, int(sys.argv[3]))))
