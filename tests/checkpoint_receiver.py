#!/usr/bin/env python3
"""A stand-in for the external party of the audit checkpoint webhook
(docs/audit.md "The checkpoint webhook"): accepts POSTs on 127.0.0.1, checks
X-Duet-Signature = hex(HMAC-SM3(secret, TIMESTAMP "\n" hex(SM3(body)))) with
Python's own hashlib/hmac (an implementation independent of duetd's), and
appends each accepted body to OUT (which is then a witness file). The first
FAIL_FIRST requests are answered 503 (to exercise the retries). Writes its
port to PORT_FILE. Usage: checkpoint_receiver.py SECRET_FILE OUT PORT_FILE FAIL_FIRST
"""
import hashlib
import hmac
import http.server
import sys

secret = open(sys.argv[1], "rb").read().strip()
out_path, port_file, fail_first = sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = {"n": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen["n"] += 1
        ts = self.headers.get("X-Duet-Timestamp", "")
        want = hmac.new(secret, (ts + "\n" + hashlib.new("sm3", body).hexdigest()).encode(), "sm3").hexdigest()
        if self.headers.get("X-Duet-Signature", "") != want or self.headers.get("X-Duet-Event") != "audit.checkpoint":
            self.send_response(401)
        elif seen["n"] <= fail_first:
            self.send_response(503)
        else:
            with open(out_path, "ab") as f:
                f.write(body)
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
