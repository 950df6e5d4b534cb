#!/usr/bin/env python3
"""Prints the rcode name the server gives a zone-transfer query: xfr_rcode.py PORT ZONE TYPE(AXFR|IXFR) PROTO(udp|tcp).
dig never shows the rcode of a refused transfer ("Transfer failed."), so tests ask with this instead."""
import socket, struct, sys
port, zone, qtype, proto = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
name = b"".join(bytes([len(l)]) + l.encode() for l in zone.strip(".").split(".")) + b"\0"
q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0) + name + struct.pack(">HH", {"AXFR": 252, "IXFR": 251}[qtype], 1)
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    s.sendto(q, ("127.0.0.1", port)); r = s.recv(4096)
else:
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(struct.pack(">H", len(q)) + q)
    n = struct.unpack(">H", s.recv(2))[0]; r = b""
    while len(r) < n: r += s.recv(n - len(r))
names = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
print(names.get(r[3] & 0x0F, str(r[3] & 0x0F)), "id-ok" if r[:2] == b"\x42\x42" else "id-mismatch")
