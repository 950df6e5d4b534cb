#!/usr/bin/env python3
"""A tiny fake upstream DNS server for tests: answers every A query with 192.0.2.80 (TTL 60),
everything else NOERROR/empty. Listens on 127.0.0.1:<port> (UDP). Counts queries in a file."""
import signal, socket, struct, sys
# The test runner's threads block SIGTERM and a spawned child inherits that mask: unblock it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
port, counter = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
n = 0
while True:
    data, addr = s.recvfrom(4096)
    if len(data) < 12: continue
    n += 1
    open(counter, "w").write(str(n))
    qid, flags, qd = struct.unpack(">HHH", data[:6])
    # question ends after the name + 4 bytes
    i = 12
    while i < len(data) and data[i] != 0: i += data[i] + 1
    q = data[12:i + 5]
    qtype = struct.unpack(">H", data[i + 1:i + 3])[0] if i + 3 <= len(data) else 0
    answers = b""
    an = 0
    if qtype == 1:
        answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 80])
        an = 1
    hdr = struct.pack(">HHHHHH", qid, 0x8180, 1, an, 0, 0)
    s.sendto(hdr + q + answers, addr)
