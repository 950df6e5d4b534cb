#!/usr/bin/env python3
"""bench/dns: programming latency, Service created (the API's 201) -> its name resolves on Ferry's DNS
listener, one Service at a time. The resolver polls with UDP every 0.5 ms. Loopback only; bounded."""
import json, os, select, socket, struct, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from load import load_kubeconfig, Client

def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)

def main(kubeconfig, port, samples, ns="bench"):
    cfg = load_kubeconfig(kubeconfig)
    c = Client(cfg)
    c.req("POST", "/api/v1/namespaces", json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).encode())
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    lat, failed = [], 0
    stamp = int(time.time())
    for k in range(samples):
        name = f"lat{stamp}-{k}"
        st, _ = c.req("POST", f"/api/v1/namespaces/{ns}/services", json.dumps({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name}, "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80}]}}).encode())
        t0 = time.perf_counter()
        if st != 201:
            failed += 1
            continue
        fq, qid, done = f"{name}.{ns}.svc.cluster.local", k & 0xFFFF, False
        while not done and time.perf_counter() - t0 < 5:
            s.send(query(fq, qid))
            end = time.perf_counter() + 0.0005
            while time.perf_counter() < end or select.select([s], [], [], 0)[0]:
                r, _, _ = select.select([s], [], [], max(0, end - time.perf_counter()))
                if not r: break
                resp = s.recv(4096)
                if struct.unpack(">H", resp[:2])[0] == qid and resp[3] & 0x0F == 0 and struct.unpack(">H", resp[6:8])[0] > 0:
                    done = True
                    break
        if done: lat.append(time.perf_counter() - t0)
        else: failed += 1
    lat.sort()
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None
    return {"samples": len(lat), "failed": failed, "p50_ms": q(0.50), "p99_ms": q(0.99), "max_ms": q(1.0)}

if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
