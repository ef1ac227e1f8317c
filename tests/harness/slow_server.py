"""A loopback HTTP server that holds every request for `delay` seconds before answering with a
terminal AWS error: it makes any AWS call of the plugin slow, to show what runs in parallel and
how fast Cancel ends in-flight work."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SlowServer:
    def __init__(self, delay: float):
        self.delay = delay
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                outer.requests += 1
                time.sleep(outer.delay)
                body = b'<ErrorResponse><Error><Code>AccessDenied</Code><Message>slow server' \
                       b'</Message></Error><RequestId>slow</RequestId></ErrorResponse>'
                try:
                    self.send_response(403)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
