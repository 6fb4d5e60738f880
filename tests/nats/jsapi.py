#!/usr/bin/env python3
# tests/nats/jsapi.py — one JetStream API request over the plain NATS text
# protocol, for tests that need what idwatch does not expose (delete a
# message, purge a stream, read stream info):
#
#   python3 jsapi.py nats://127.0.0.1:PORT '$JS.API.STREAM.INFO.IDW_SNAP' '{"subjects_filter":"idw.snap.>"}'
#
# Prints the JSON reply; exits 1 when it carries an "error", 2 on no reply in 5 s.
import json
import socket
import sys

url, subject, payload = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "")
host, port = url.split("//")[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
f = s.makefile("rb")
f.readline()                                                    # INFO
body = payload.encode()
s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.jsapi 1\r\n')
s.sendall(b"PUB %s _INBOX.jsapi %d\r\n%s\r\n" % (subject.encode(), len(body), body))
try:
    while True:
        line = f.readline().decode().strip()
        if not line:
            sys.exit(2)
        if line == "PING":
            s.sendall(b"PONG\r\n")
        elif line.startswith("MSG "):
            n = int(line.split()[-1])
            data = f.read(n)
            f.readline()
            reply = json.loads(data)
            print(json.dumps(reply))
            sys.exit(1 if "error" in reply else 0)
except socket.timeout:
    sys.exit(2)
