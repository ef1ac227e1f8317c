"""A fault-injecting HTTP proxy on loopback between the plugin and moto. Requests pass through to
moto unless a rule matches them; a matching rule answers with an AWS-shaped error instead (a
number of times, or always). Rules match an operation the way AWS names it: the X-Amz-Target of
JSON services, the Action of Query services, or a method and path pattern of REST services; "*"
matches every request. A rule without a status only runs its hook and lets the request through:
a trigger for faults injected elsewhere (toxiproxy's TCP-level toxics, harness/toxiproxy.py)."""
from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    operation: str                 # "CreateLogGroup", "CreateRole", "POST /2015-03-31/functions", "*"
    status: int | None = 500       # None: the hook only, then the request goes through
    code: str = "InternalFailure"
    message: str = "injected fault"
    times: int | None = None       # None: every time
    hook: object = None            # called (no arguments) when the fault fires, before answering
    after: object = None           # without a status: called once moto's answer was passed on
    hits: int = 0
    seen: list = field(default_factory=list)

    def matches(self, method: str, path: str, target: str, action: str) -> bool:
        if self.operation == "*":
            return True
        if " " in self.operation:
            m, pattern = self.operation.split(" ", 1)
            return m == method and re.fullmatch(pattern, path.split("?")[0]) is not None
        return self.operation in (target.split(".")[-1] if target else "", action)


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = urllib.parse.urlparse(upstream)
        self.faults: list[Fault] = []
        self.calls: list[str] = []
        self.timings: list[tuple[str, float]] = []  # (operation, seconds at the upstream)
        self.latency = 0.0  # seconds added to every forwarded request (a far-away region)
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # headers and body go out in separate writes: without this, every response
                # waits for the client's delayed ACK (about 40 ms) and timings mean nothing
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                target = self.headers.get("X-Amz-Target", "")
                action = ""
                if body.startswith(b"Action="):
                    action = urllib.parse.parse_qs(body.decode()).get("Action", [""])[0]
                op = target.split(".")[-1] or action or f"{self.command} {self.path}"
                with outer.lock:
                    outer.calls.append(op)
                    fault = next((f for f in outer.faults if (f.times is None or f.hits < f.times)
                                  and f.matches(self.command, self.path, target, action)), None)
                    if fault:
                        fault.hits += 1
                if fault and fault.hook is not None:
                    fault.hook()
                if fault and fault.status is not None:
                    if fault.status == 0:
                        # a connection reset mid-response: half a status line, then RST
                        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Le")
                        self.wfile.flush()
                        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                struct.pack("ii", 1, 0))
                        self.close_connection = True
                        self.request.close()
                        return
                    self._error(fault, xml=bool(action))
                    return
                if outer.latency:
                    time.sleep(outer.latency)
                t0 = time.monotonic()
                conn = http.client.HTTPConnection(outer.upstream.hostname, outer.upstream.port,
                                                  timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding", "content-length",
                                         "keep-alive", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:
                    pass  # the client went away (a killed plugin): nothing to answer
                conn.close()
                if fault and fault.after is not None:
                    fault.after()
                with outer.lock:
                    outer.timings.append((op, time.monotonic() - t0))

            def _error(self, f: Fault, xml: bool):
                if xml:
                    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{f.code}</Code>"
                            f"<Message>{f.message}</Message></Error><RequestId>fault</RequestId>"
                            f"</ErrorResponse>").encode()
                    ctype = "text/xml"
                else:
                    body = ('{"__type":"%s","message":"%s"}' % (f.code, f.message)).encode()
                    ctype = "application/json"
                self.send_response(f.status)
                self.send_header("Content-Type", ctype)
                self.send_header("x-amzn-RequestId", "fault")
                if f.status in (400, 403, 404, 409, 429) or f.status >= 500:
                    self.send_header("x-amzn-ErrorType", f.code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def inject(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
