#!/usr/bin/env python3
"""bench/ingress: Ferry's ingress vs nginx and HAProxy as reverse proxies in front of the same backend.

Each proxy in turn runs pinned to core 0 (one worker / one thread); the backend (nginx, one worker,
`return 200`) and the load generators (wrk, h2load) share core 1. Loopback only; every process this
script starts is stopped by PID; every load run is bounded by its duration.

Measured per proxy: wrk c=64 and c=256 over keep-alive HTTP/1.1 (rps, p50, p99), the proxy's CPU time
per request at a fixed rate (h2load --rps, CPU from /proc), HTTPS c=64 (keep-alive), and new
connections per second (wrk with `Connection: close`). Ratios are Ferry / nginx from the same run.

Usage: bench/ingress/bench.py FERRY_BINARY WORKDIR [seconds-per-run]
"""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time

FERRY, WORK, SECS = "", "", 10  # set by main / importers
PROXY_CORE, LOAD_CORE = "0", "1"
started = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, core, **kw):
    p = subprocess.Popen(["taskset", "-c", core] + cmd, stdout=kw.pop("stdout", subprocess.DEVNULL),
                         stderr=kw.pop("stderr", subprocess.DEVNULL), start_new_session=True, **kw)
    started.append(p)
    return p


def stop(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def wait_port(port, limit=30):
    t0 = time.time()
    while time.time() - t0 < limit:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def wait_http(url, limit=60):
    t0 = time.time()
    while time.time() - t0 < limit:
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", url],
                           capture_output=True, text=True)
        if r.stdout == "200":
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} never answered 200")


def cpu_seconds(pids):
    """utime + stime of the processes in `pids` and all their threads, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            pass
    return total / tick


def group_pids(p):
    """The process and its children (nginx's master and worker)."""
    out = subprocess.run(["pgrep", "-g", str(p.pid)], capture_output=True, text=True).stdout.split()
    return [int(x) for x in out] or [p.pid]


def to_ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, conns, extra=()):
    cmd = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{conns}", f"-d{SECS}s", "--timeout", "5s", "--latency",
           *extra, url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=SECS + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {m.group(1): to_ms(m.group(2), m.group(3)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", out, re.M)}
    return {"rps": round(rps), "p50_ms": round(lat.get("50", 0), 3), "p99_ms": round(lat.get("99", 0), 3),
            "errors": wrk_failures(out)}


def wrk_failures(out):
    """Failed requests in wrk's report: socket errors of every kind plus non-2xx/3xx answers."""
    failed = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        failed += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        failed += int(m.group(1))
    return failed


def cpu_per_request(url, pids, clients=16, per_client=250):
    """Fixed offered load (clients x per_client req/s) well below saturation; proxy CPU µs per request."""
    before = cpu_seconds(pids)
    cmd = ["taskset", "-c", LOAD_CORE, "h2load", "--h1", "-c", str(clients), "--rps", str(per_client),
           "-D", str(SECS), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=SECS + 60).stdout
    after = cpu_seconds(pids)
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed", out)
    done, ok = int(m.group(3)), int(m.group(4))
    return {"rate": clients * per_client, "requests": done, "failed": done - ok,
            "cpu_us_per_request": round((after - before) * 1e6 / max(ok, 1), 1)}


def measure(name, http_port, https_port, pids):
    url, surl = f"http://127.0.0.1:{http_port}/", f"https://127.0.0.1:{https_port}/"
    wait_http(url)
    wait_http(surl)
    wrk(url, 64)  # warm-up: connections to the backend, caches
    r = {"proxy": name}
    r["c64"] = wrk(url, 64)
    r["c256"] = wrk(url, 256)
    r["cpu"] = cpu_per_request(url, pids)
    r["https_c64"] = wrk(surl, 64)
    r["new_conns"] = wrk(url, 64, ["-H", "Connection: close"])
    print(json.dumps(r), flush=True)
    return r


def need(*tools):
    for tool in tools:
        if not shutil.which(tool):
            raise SystemExit(f"bench/ingress needs {tool} (apt-get install nginx-light haproxy wrk nghttp2-client)")


def make_cert():
    cert, key = f"{WORK}/tls.crt", f"{WORK}/tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bench.local",
                    "-addext", "subjectAltName=DNS:bench.local,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    open(f"{WORK}/tls.pem", "w").write(open(cert).read() + open(key).read())
    return cert, key


def start_backend():
    """nginx, one worker on the load core, answering 200 to everything. Returns its port."""
    port = free_port()
    os.makedirs(f"{WORK}/backend", exist_ok=True)
    open(f"{WORK}/backend/nginx.conf", "w").write(f"""
worker_processes 1; daemon off; pid {WORK}/backend/nginx.pid; error_log {WORK}/backend/error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{port} reuseport backlog=4096; location / {{ return 200 "hello from the backend\\n"; }} }} }}
""")
    start(["nginx", "-c", f"{WORK}/backend/nginx.conf", "-p", f"{WORK}/backend"], LOAD_CORE)
    wait_port(port)
    return port


def start_ferry(http_port, https_port):
    """`ferry server` with only the ingress data plane, pinned to the proxy core; returns (process, kubectl)."""
    api, metrics = free_port(), free_port()
    log = open(f"{WORK}/ferry.log", "w")
    p = start([FERRY, "server", "--data-dir", f"{WORK}/ferry", "--api-listen", f"127.0.0.1:{api}",
               "--metrics-listen", f"127.0.0.1:{metrics}", "--http-listen", f"127.0.0.1:{http_port}",
               "--https-listen", f"127.0.0.1:{https_port}", "--proxy-mode", "off", "--dns-listen", "off",
               "--log-level", "warning"], PROXY_CORE, stdout=log, stderr=log)
    kc = f"{WORK}/ferry/kubeconfig.yaml"
    t0 = time.time()
    while not os.path.exists(kc) and time.time() - t0 < 60:
        time.sleep(0.1)
    env = dict(os.environ, KUBECONFIG=kc)
    for _ in range(100):
        if subprocess.run(["kubectl", "get", "ns", "default"], env=env, capture_output=True).returncode == 0:
            break
        time.sleep(0.2)

    def kubectl(*a, **kw):
        return subprocess.run(["kubectl", *a], env=env, check=True, capture_output=True, text=True, **kw)
    return p, kubectl, kc


def backend_manifest(backend_port, host=None, tls_secret=None, name="bench"):
    """A selectorless Service + EndpointSlice naming the backend, and an Ingress routing to it."""
    rule = f"- host: {host}\n    http:" if host else "- http:"
    tls = f"  tls: [{{hosts: [bench.local], secretName: {tls_secret}}}]\n" if tls_secret else ""
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: backend}}
spec:
  ports: [{{name: http, port: 80, targetPort: {backend_port}}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-1
  labels: {{kubernetes.io/service-name: backend}}
addressType: IPv4
ports: [{{name: http, port: {backend_port}, protocol: TCP}}]
endpoints:
- addresses: ["127.0.0.1"]
  conditions: {{ready: true}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}}}
spec:
  ingressClassName: ferry
{tls}  rules:
  {rule}
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: backend, port: {{number: 80}}}}}}}}
"""


def main():
    need("nginx", "haproxy", "wrk", "h2load", "kubectl", "openssl", "curl")
    cert, key = make_cert()
    backend_port = start_backend()
    results = []

    # nginx as a reverse proxy, configured as ingress-nginx configures it (keep-alive upstream, HTTP/1.1).
    h, s = free_port(), free_port()
    os.makedirs(f"{WORK}/nginx", exist_ok=True)
    open(f"{WORK}/nginx/nginx.conf", "w").write(f"""
worker_processes 1; daemon off; pid {WORK}/nginx/nginx.pid; error_log {WORK}/nginx/error.log;
events {{ worker_connections 8192; }}
http {{ access_log off; keepalive_requests 1000000;
  upstream backend {{ server 127.0.0.1:{backend_port}; keepalive 320; keepalive_requests 1000000; }}
  server {{ listen 127.0.0.1:{h} backlog=4096; listen 127.0.0.1:{s} ssl backlog=4096;
    ssl_certificate {cert}; ssl_certificate_key {key};
    location / {{ proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-Forwarded-Proto $scheme; }} }} }}
""")
    p = start(["nginx", "-c", f"{WORK}/nginx/nginx.conf", "-p", f"{WORK}/nginx"], PROXY_CORE)
    wait_port(h)
    results.append(measure("nginx", h, s, group_pids(p)))
    stop(p)

    h, s = free_port(), free_port()
    open(f"{WORK}/haproxy.cfg", "w").write(f"""
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option forwardfor
frontend fe
  bind 127.0.0.1:{h}
  bind 127.0.0.1:{s} ssl crt {WORK}/tls.pem
  default_backend be
backend be
  http-reuse always
  server s1 127.0.0.1:{backend_port}
""")
    p = start(["haproxy", "-f", f"{WORK}/haproxy.cfg"], PROXY_CORE)
    wait_port(h)
    results.append(measure("haproxy", h, s, group_pids(p)))
    stop(p)

    # Ferry: an Ingress without a host (every Host matches, like the proxies above) to a selectorless
    # Service whose EndpointSlice names the backend.
    h, s = free_port(), free_port()
    p, kubectl, _ = start_ferry(h, s)
    kubectl("create", "secret", "tls", "bench-tls", f"--cert={cert}", f"--key={key}")
    kubectl("apply", "-f", "-", input=backend_manifest(backend_port, tls_secret="bench-tls"))
    results.append(measure("ferry", h, s, [p.pid]))
    stop(p)

    by = {r["proxy"]: r for r in results}
    f, n = by["ferry"], by["nginx"]
    ratio = lambda a, b: round(a / b, 2) if b else None
    print(json.dumps({
        "ratios_ferry_to_nginx": {
            "rps_c64": ratio(f["c64"]["rps"], n["c64"]["rps"]),
            "rps_c256": ratio(f["c256"]["rps"], n["c256"]["rps"]),
            "p99_c64": ratio(f["c64"]["p99_ms"], n["c64"]["p99_ms"]),
            "cpu_us_per_request": ratio(f["cpu"]["cpu_us_per_request"], n["cpu"]["cpu_us_per_request"]),
            "https_rps_c64": ratio(f["https_c64"]["rps"], n["https_c64"]["rps"]),
            "new_conns_per_s": ratio(f["new_conns"]["rps"], n["new_conns"]["rps"]),
        }}), flush=True)


if __name__ == "__main__":
    FERRY, WORK = sys.argv[1], sys.argv[2]
    SECS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    try:
        main()
    finally:
        for p in reversed(started):
            stop(p)
