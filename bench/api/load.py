#!/usr/bin/env python3
"""Load generator for bench/api: durable creates/s with C concurrent clients, list time, watch fan-out.

Talks to the API with the kubeconfig's CA and bearer token over keep-alive HTTPS connections
(stdlib only). Every loop is bounded in count and time. Loopback only.
"""
import base64, http.client, json, os, ssl, statistics, sys, tempfile, threading, time

def load_kubeconfig(path):
    text = open(path).read()
    server = ca = token = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("server:"): server = s.split(":", 1)[1].strip()
        if s.startswith("certificate-authority-data:"): ca = base64.b64decode(s.split(":", 1)[1].strip())
        if s.startswith("token:"): token = s.split(":", 1)[1].strip()
    host, port = server.replace("https://", "").rsplit(":", 1)
    assert host.startswith("127.") or host in ("localhost", "[::1]"), "loopback only"
    f = tempfile.NamedTemporaryFile(delete=False, suffix=".crt"); f.write(ca); f.close()
    ctx = ssl.create_default_context(cafile=f.name)
    return host, int(port), ctx, token

class Client:
    def __init__(self, cfg):
        self.host, self.port, self.ctx, self.token = cfg
        self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
    def req(self, method, path, body=None, ctype="application/json"):
        h = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if body is not None: h["Content-Type"] = ctype
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        return r.status, r.read()

def svc(name):
    return json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"bench": "api"}},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}).encode()

def creates(cfg, ns, clients, total, prefix):
    lat = []
    lock = threading.Lock()
    errors = [0]
    per = total // clients
    def worker(w):
        c = Client(cfg)
        mine = []
        for i in range(per):
            t0 = time.perf_counter()
            st, _ = c.req("POST", f"/api/v1/namespaces/{ns}/services", svc(f"{prefix}-{w}-{i}"))
            mine.append(time.perf_counter() - t0)
            if st != 201:
                with lock: errors[0] += 1
        with lock: lat.extend(mine)
    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in ts: t.start()
    for t in ts: t.join(timeout=600)
    el = time.perf_counter() - t0
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    return {"clients": clients, "creates": len(lat), "errors": errors[0], "seconds": round(el, 3),
            "per_second": round(len(lat) / el, 1), "p50_ms": round(q(0.50), 2), "p99_ms": round(q(0.99), 2)}

def ensure_ns(cfg, ns):
    c = Client(cfg)
    c.req("POST", "/api/v1/namespaces", json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).encode())

def list_time(cfg, ns):
    c = Client(cfg)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        st, body = c.req("GET", f"/api/v1/namespaces/{ns}/services")
        el = time.perf_counter() - t0
        n = len(json.loads(body)["items"])
        best = el if best is None else min(best, el)
    return {"items": n, "list_ms_best_of_3": round(best * 1000, 1)}

def watch_fanout(cfg, ns, watchers):
    c = Client(cfg)
    st, body = c.req("GET", f"/api/v1/namespaces/{ns}/services?limit=1")
    rv = json.loads(body)["metadata"]["resourceVersion"]
    got = []
    lock = threading.Lock()
    ready = threading.Barrier(watchers + 1, timeout=60)
    def watcher():
        host, port, ctx, token = cfg
        conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=60)
        conn.request("GET", f"/api/v1/namespaces/{ns}/services?watch=true&resourceVersion={rv}&timeoutSeconds=60&fieldSelector=metadata.name%3Dwatched",
                     headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        ready.wait()
        line = r.readline()
        t = time.perf_counter()
        with lock: got.append(t)
        conn.close()
    ts = [threading.Thread(target=watcher, daemon=True) for _ in range(watchers)]
    for t in ts: t.start()
    ready.wait()
    time.sleep(0.5)  # let every watch request reach the server
    t0 = time.perf_counter()
    c.req("POST", f"/api/v1/namespaces/{ns}/services", svc("watched"))
    for t in ts: t.join(timeout=60)
    lat = sorted((g - t0) * 1000 for g in got)
    return {"watchers": watchers, "delivered": len(lat), "last_ms": round(lat[-1], 2) if lat else None,
            "p50_ms": round(lat[len(lat) // 2], 2) if lat else None}

def settle(cfg, ns, want, limit_s=180):
    """Waits (bounded) until the in-process EndpointSlice controller has caught up: `want` Endpoints in ns."""
    c = Client(cfg)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        st, body = c.req("GET", f"/api/v1/namespaces/{ns}/endpoints?limit=1")
        m = json.loads(body)
        n = len(m["items"]) + m["metadata"].get("remainingItemCount", 0)
        if n >= want: return {"endpoints": n, "waited_s": round(time.perf_counter() - t0, 1)}
        time.sleep(0.5)
    return {"endpoints": n, "waited_s": None}

if __name__ == "__main__":
    kubeconfig, mode = sys.argv[1], sys.argv[2]
    cfg = load_kubeconfig(kubeconfig)
    if mode == "creates":
        clients, total, ns = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        ensure_ns(cfg, ns)
        print(json.dumps(creates(cfg, ns, clients, total, f"c{clients}")))
    elif mode == "settle":
        print(json.dumps(settle(cfg, sys.argv[3], int(sys.argv[4]))))
    elif mode == "list":
        print(json.dumps(list_time(cfg, sys.argv[3])))
    elif mode == "watch":
        ensure_ns(cfg, sys.argv[4])
        print(json.dumps(watch_fanout(cfg, sys.argv[4], int(sys.argv[3]))))
