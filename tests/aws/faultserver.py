"""FaultServer: a scripted loopback HTTP/1.1 server (keep-alive) for the aws suite. It answers
from a script of Replies (status, body, headers, optional delay, optionally cut short), then with
a default Reply; it counts the TCP connections it accepts and records every request. It is the
harness's loopback server (127.0.0.1 only, harness/loopback.py) and can speak TLS with a given
certificate.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from harness.loopback import LoopbackServer, QuietHandler


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b"{}"
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/x-amz-json-1.1"})
    delay: float = 0.0
    cut: int | None = None  # send only this many bytes of the answer (negative: all but), close


class FaultServer(LoopbackServer):
    """A loopback HTTP/1.1 server (keep-alive) that answers from a script of Replies, then with
    `default`. Counts accepted connections and records requests."""

    def __init__(self, tls_cert: str | None = None, tls_key: str | None = None):
        self.script: list[Reply] = []
        self.default = Reply()
        self.requests: list[dict] = []
        self.connections = 0
        self.lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            def setup(self):
                super().setup()
                # no Nagle delay between the header and body writes below
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with server.lock:
                    server.connections += 1

            def serve(self):
                body = self.read_body()
                with server.lock:
                    server.requests.append({"method": self.command, "path": self.path,
                                            "headers": {k.lower(): v for k, v in
                                                        self.headers.items()},
                                            "body": body})
                    reply = server.script.pop(0) if server.script else server.default
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                if reply.cut is not None:
                    head = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                    raw = (f"HTTP/1.1 {reply.status} X\r\n{head}Content-Length: {len(data)}"
                           f"\r\n\r\n").encode() + data
                    self.wfile.write(raw[:reply.cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = serve

        super().__init__(Handler, tls_cert, tls_key)
