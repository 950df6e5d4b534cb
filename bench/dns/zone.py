#!/usr/bin/env python3
"""bench/dns setup: fills a running Ferry with N Services (1 in 10 headless with 3 endpoints, every
Service with a named port), then writes the same records as NSD zone files and an Unbound
local-data config, and a dnsperf query file. Loopback only; every loop is bounded."""
import ipaddress, json, os, random, sys, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from load import load_kubeconfig, Client

NS, Z, TTL = "bench", "cluster.local", 30

def populate(cfg, n):
    c = Client(cfg)
    c.req("POST", "/api/v1/namespaces", json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}).encode())
    errors = [0]
    def make(start, step):
        w = Client(cfg)
        for i in range(start, n, step):
            headless = i % 10 == 0
            spec = {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}
            if headless: spec["clusterIP"] = "None"
            st, _ = w.req("POST", f"/api/v1/namespaces/{NS}/services", json.dumps({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": f"s{i}"}, "spec": spec}).encode())
            if st != 201: errors[0] += 1
            if headless:  # selectorless: the endpoints are ours to write
                eps = [{"addresses": [f"10.{200 + k}.{i // 250}.{i % 250 + 1}"], "conditions": {"ready": True}} for k in range(3)]
                st, _ = w.req("POST", f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices", json.dumps({
                    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"name": f"s{i}-1", "labels": {"kubernetes.io/service-name": f"s{i}"}},
                    "addressType": "IPv4", "endpoints": eps, "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}).encode())
                if st != 201: errors[0] += 1
    ts = [threading.Thread(target=make, args=(k, 8)) for k in range(8)]
    for t in ts: t.start()
    for t in ts: t.join(timeout=1800)
    return errors[0]

def records(cfg):
    c = Client(cfg)
    _, body = c.req("GET", f"/api/v1/namespaces/{NS}/services")
    svcs = json.loads(body)["items"]
    _, body = c.req("GET", f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices")
    slices = json.loads(body)["items"]
    eps = {}
    for s in slices:
        name = s["metadata"]["labels"]["kubernetes.io/service-name"]
        eps.setdefault(name, []).extend(a for e in s.get("endpoints") or [] for a in e["addresses"])
    fwd, ptr, clusterips, headless = [], [], [], []
    for s in svcs:
        name = s["metadata"]["name"]
        fq = f"{name}.{NS}.svc.{Z}."
        ip = s["spec"].get("clusterIP")
        if ip and ip != "None":
            clusterips.append((name, ip))
            fwd.append((fq, "A", ip))
            fwd.append((f"_http._tcp.{fq}", "SRV", f"0 100 80 {fq}"))
            ptr.append((ipaddress.ip_address(ip).reverse_pointer + ".", fq))
        else:
            addrs = eps.get(name, [])
            headless.append(name)
            w = 100 // max(1, len(addrs))
            for a in addrs:
                host = f"{a.replace('.', '-')}.{fq}"
                fwd.append((fq, "A", a))
                fwd.append((host, "A", a))
                fwd.append((f"_http._tcp.{fq}", "SRV", f"0 {w} 80 {host}"))
                ptr.append((ipaddress.ip_address(a).reverse_pointer + ".", host))
    return fwd, ptr, clusterips, headless

SOA = f"ns.dns.{Z}. hostmaster.{Z}. 1 7200 1800 86400 {TTL}"

def write_nsd(work, fwd, ptr):
    with open(f"{work}/{Z}.zone", "w") as f:
        f.write(f"$ORIGIN {Z}.\n$TTL {TTL}\n@ IN SOA {SOA}\n@ IN NS ns.dns.{Z}.\nns.dns IN A 10.96.0.10\n")
        f.write(f'dns-version IN TXT "1.1.0"\n')
        for n, t, d in fwd: f.write(f"{n} IN {t} {d}\n")
    with open(f"{work}/10.in-addr.arpa.zone", "w") as f:
        f.write(f"$ORIGIN 10.in-addr.arpa.\n$TTL {TTL}\n@ IN SOA {SOA}\n@ IN NS ns.dns.{Z}.\n")
        for n, d in ptr: f.write(f"{n} IN PTR {d}\n")

def write_unbound(work, fwd, ptr):
    with open(f"{work}/local-data.conf", "w") as f:
        for zone in (f"{Z}.", "10.in-addr.arpa."):
            f.write(f'  local-zone: "{zone}" static\n  local-data: "{zone} {TTL} IN SOA {SOA}"\n  local-data: "{zone} {TTL} IN NS ns.dns.{Z}."\n')
        f.write(f'  local-data: "ns.dns.{Z}. {TTL} IN A 10.96.0.10"\n  local-data: \'dns-version.{Z}. {TTL} IN TXT "1.1.0"\'\n')
        for n, t, d in fwd: f.write(f'  local-data: "{n} {TTL} IN {t} {d}"\n')
        for n, d in ptr: f.write(f'  local-data: "{n} {TTL} IN PTR {d}"\n')

def write_queries(work, clusterips, headless, count=100_000):
    """A 100k-line mix: 40% A, 10% AAAA (NODATA), 10% SRV, 10% headless A, 10% PTR, 20% search-path NXDOMAIN."""
    rng = random.Random(7)
    with open(f"{work}/queries.txt", "w") as f:
        for _ in range(count):
            r = rng.random()
            name, ip = rng.choice(clusterips)
            fq = f"{name}.{NS}.svc.{Z}"
            if r < 0.40: f.write(f"{fq} A\n")
            elif r < 0.50: f.write(f"{fq} AAAA\n")
            elif r < 0.60: f.write(f"_http._tcp.{fq} SRV\n")
            elif r < 0.70: f.write(f"{rng.choice(headless)}.{NS}.svc.{Z} A\n")
            elif r < 0.80: f.write(f"{ipaddress.ip_address(ip).reverse_pointer} PTR\n")
            else: f.write(f"{fq}.{NS}.svc.{Z} A\n")

if __name__ == "__main__":
    kubeconfig, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = load_kubeconfig(kubeconfig)
    t0 = time.time()
    errors = populate(cfg, n)
    fwd, ptr, clusterips, headless = records(cfg)
    write_nsd(work, fwd, ptr)
    write_unbound(work, fwd, ptr)
    write_queries(work, clusterips, headless)
    print(json.dumps({"services": len(clusterips) + len(headless), "headless": len(headless), "records": len(fwd) + len(ptr),
                      "create_errors": errors, "setup_s": round(time.time() - t0, 1),
                      "last": f"s{n - 1}.{NS}.svc.{Z}" if (n - 1) % 10 else f"s{n - 2}.{NS}.svc.{Z}"}))
