"""The one loopback HTTP server of the harness: a threaded HTTP server on a free 127.0.0.1 port,
serving in daemon threads until stop(), optionally over TLS with a given certificate. Every
server the tests start is one: the forwarding proxies (harness/http_proxy.py: the fault proxy,
the paging proxy, the AWS request validator, the IAM policy enforcer), the refusing server below,
the plugin server (harness/plugin_server.py) and the aws suite's scripted fault server.

`RefusingServer` answers every request with a terminal AWS error (HTTP 403 AccessDenied) after
`delay` seconds and records each (method, path): as AWS_ENDPOINT_URL it proves an operation made
no AWS call at all (delay 0), or makes every AWS call slow to show what runs in parallel and how
fast Cancel ends in-flight work."""
from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up and left (a killed plugin, a timeout) is expected


class LoopbackServer:
    def __init__(self, handler_class, tls_cert: str | None = None, tls_key: str | None = None):
        self.server = _Server(("127.0.0.1", 0), handler_class)
        self.scheme = "http"
        if tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, no access log on stderr."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


class RefusingServer(LoopbackServer):
    def __init__(self, delay: float = 0.0, message: str = "refused by the test server"):
        self.delay = delay
        self.requests: list[tuple[str, str]] = []
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        outer = self

        class Handler(QuietHandler):
            def _any(self):
                self.read_body()
                outer.requests.append((self.command, self.path))
                time.sleep(outer.delay)
                try:
                    self.send_response(403)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("x-amzn-ErrorType", "AccessDeniedException")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

        super().__init__(Handler)
