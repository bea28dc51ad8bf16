# SPDX-License-Identifier: MIT
"""A small ACME server with only what ARI needs (RFC 9773), for
tests/acme/run-ari.sh: Pebble 2.4.0 has no renewalInfo.

  ari-responder.py PORT CERT KEY CONTROL_DIR

HTTPS on 127.0.0.1:PORT with CERT/KEY:
  GET /dir                 a directory whose renewalInfo is /renewal-info
  GET /dir-noari           a directory without renewalInfo
  GET /renewal-info/ID     CONTROL_DIR/window.json says the answer:
                           {"id": certID, "start", "end", "explanation",
                            "retry_after": header value or null,
                            "status": HTTP status (200 when absent)};
                           an ID other than "id" gets 404
Every request's method and path is appended to CONTROL_DIR/requests.log.
"""
import http.server
import json
import os
import ssl
import sys

port, cert, key, control = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, doc, headers=()):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with open(os.path.join(control, "requests.log"), "a") as f:
            f.write("GET %s\n" % self.path)
        base = "https://127.0.0.1:%s" % port
        directory = {
            "newNonce": base + "/nonce",
            "newAccount": base + "/account",
            "newOrder": base + "/order",
        }
        if self.path == "/dir":
            directory["renewalInfo"] = base + "/renewal-info"
            return self.send_json(200, directory)
        if self.path == "/dir-noari":
            return self.send_json(200, directory)
        prefix = "/renewal-info/"
        if self.path.startswith(prefix):
            with open(os.path.join(control, "window.json")) as f:
                w = json.load(f)
            if self.path[len(prefix):] != w["id"]:
                return self.send_json(404, {
                    "type": "urn:ietf:params:acme:error:malformed",
                    "detail": "no such certificate"})
            headers = []
            if w.get("retry_after") is not None:
                headers.append(("Retry-After", w["retry_after"]))
            doc = {"suggestedWindow": {"start": w["start"], "end": w["end"]}}
            if w.get("explanation"):
                doc["explanationURL"] = w["explanation"]
            return self.send_json(w.get("status", 200), doc, headers)
        self.send_json(404, {"type": "about:blank", "detail": "not here"})


srv = http.server.HTTPServer(("127.0.0.1", int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
