#!/usr/bin/env python3
"""A model server's list API, for phx-verify's GPU test: answers GET PATH
with BODY (JSON) on ADDR:PORT, 404 elsewhere, until killed. Stands in for
vLLM's /v1/models and Ollama's /api/tags (no GPU, no model here)."""
import http.server
import sys

addr, port, path, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == path
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) if ok else 2))
        self.end_headers()
        self.wfile.write(body if ok else b"{}")

    def log_message(self, *a):
        pass


http.server.HTTPServer((addr, port), H).serve_forever()
