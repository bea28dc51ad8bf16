# SPDX-License-Identifier: MIT
"""A hostile ACME server for tests/acme/run-hostile.sh: just enough of RFC
8555 for `excert acme issue` to reach the step it attacks.  JWS bodies are
not checked.

  hostile-ca.py PORT CERT KEY LOG

HTTPS on 127.0.0.1:PORT with CERT/KEY.  GET /MODE/dir is a directory whose
every URL is under /MODE; the modes:
  retry0     the authorization stays pending, each reply with Retry-After: 0
  authz      the order for one name has 10,000 authorizations
  location   the new order's Location is 3,000 bytes long
Every request's method and path is appended to LOG, one line each.
"""
import http.server
import json
import ssl
import sys

port, cert, key, log = sys.argv[1:5]
base = "https://127.0.0.1:%s" % port
TOKEN = "hostileTOKEN_0123456789-abcdefghijklmnopqrstu"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, doc=None, headers=()):
        body = json.dumps(doc).encode() if doc is not None else b""
        self.send_response(status)
        self.send_header("Replay-Nonce", "nonce-%d" % id(self))
        if doc is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def record(self):
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.command, self.path[:200]))

    def route(self):
        self.record()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        parts = self.path.split("/")
        if len(parts) < 3:
            return self.send(404, {"type": "about:blank"})
        mode, what = parts[1], parts[2]
        top = "%s/%s" % (base, mode)
        order = {
            "status": "pending",
            "identifiers": [{"type": "dns", "value": "hostile.example.test"}],
            "authorizations": [top + "/authz/0"],
            "finalize": top + "/finalize",
        }
        if mode == "authz":
            order["authorizations"] = [
                "%s/authz/%d" % (top, i) for i in range(10000)]
        if what == "dir":
            return self.send(200, {"newNonce": top + "/nonce",
                                   "newAccount": top + "/account",
                                   "newOrder": top + "/order"})
        if what == "nonce":
            return self.send(200)
        if what == "account":
            return self.send(201, {"status": "valid"},
                             [("Location", top + "/acct/1")])
        if what == "order":
            loc = top + "/order/1"
            if mode == "location":
                loc += "/" + "x" * (3000 - len(loc) - 1)
            if len(parts) > 3:
                return self.send(200, order)
            return self.send(201, order, [("Location", loc)])
        if what == "authz":
            return self.send(200, {
                "status": "pending",
                "identifier": {"type": "dns", "value": "hostile.example.test"},
                "challenges": [{"type": "http-01", "url": top + "/chall/0",
                                "token": TOKEN, "status": "pending"}],
            }, [("Retry-After", "0")] if mode == "retry0" else [])
        if what == "chall":
            return self.send(200, {"type": "http-01", "url": top + "/chall/0",
                                   "token": TOKEN, "status": "processing"})
        return self.send(404, {"type": "about:blank", "detail": "not here"})

    do_GET = route
    do_HEAD = route
    do_POST = route


srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
