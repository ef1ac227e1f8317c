"""A threaded HTTP/1.1 proxy on loopback that passes requests through to one upstream server
byte for byte (method, request target, headers in their order with duplicates, body; the answer's
status, reason, headers and body), keeping client connections alive and answering with a
Content-Length, never chunked. Subclasses look at each request first (`intercept`) and may answer
it themselves; the fault proxy and the AWS request validator in front of moto are built on it.
"""
from __future__ import annotations

import http.client
import json
import socket
import struct
import urllib.parse
from dataclasses import dataclass

from harness.loopback import LoopbackServer, QuietHandler

# hop-by-hop headers: about one connection, not passed on
HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
                        "trailer", "upgrade"))


@dataclass
class Request:
    method: str
    target: str                    # the raw request target: path and query string as sent
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str, default: str = "") -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), default)

    def header_map(self) -> dict:
        """Lower-case name -> value (the last one, when a header is repeated)."""
        return {k.lower(): v for k, v in self.headers}


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reason: str = ""


RESET = Reply(0, [], b"")  # intercept's answer for "half a status line, then a TCP reset"


def aws_error(status: int, code: str, message: str, *, xml: bool, request_id: str,
              content_type: str = "application/json") -> Reply:
    """An error answer as AWS writes it: the Query protocol's <ErrorResponse> XML, or the JSON
    protocols' {"__type", "message"} with the code in x-amzn-ErrorType too."""
    if xml:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{_xml(code)}</Code>"
                f"<Message>{_xml(message)}</Message></Error><RequestId>{request_id}</RequestId>"
                f"</ErrorResponse>").encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", content_type)]
    headers.append(("x-amzn-RequestId", request_id))
    if status in (400, 403, 404, 409, 429) or status >= 500:
        headers.append(("x-amzn-ErrorType", code))
    return Reply(status, headers, body)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Upstream:
    """The upstream end of one client connection: an HTTP/1.1 connection opened on first use and
    kept alive, opened again when the upstream closed it (once more for a request that met a
    connection the upstream had closed while idle, as HTTP clients do)."""

    def __init__(self, url, timeout: float):
        self.url, self.timeout = url, timeout
        self.conn: http.client.HTTPConnection | None = None

    def send(self, req: Request) -> Reply:
        reused = self.conn is not None
        try:
            return self._exchange(req)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
            self.close()
            if not reused:
                return self._failed(e)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return self._failed(e)
        try:  # the upstream had closed the idle connection: once more, on a new one
            return self._exchange(req)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return self._failed(e)

    def _exchange(self, req: Request) -> Reply:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port,
                                                   timeout=self.timeout)
        conn = self.conn
        conn.putrequest(req.method, req.target, skip_host=True, skip_accept_encoding=True)
        if not req.header("host"):
            conn.putheader("Host", self.url.netloc)
        for k, v in req.headers:
            if k.lower() not in HOP_BY_HOP:
                conn.putheader(k, v)
        conn.endheaders(req.body or None)
        r = conn.getresponse()
        reply = Reply(r.status, r.getheaders(), r.read(), r.reason)
        if r.will_close:
            self.close()
        return reply

    def _failed(self, e: Exception) -> Reply:
        return Reply(502, [("Content-Type", "text/plain")],
                     f"proxy: upstream {self.url.netloc} failed: {e}\n".encode())

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class ForwardingProxy(LoopbackServer):
    """Forwards every request to `upstream` unless `intercept` answers it."""

    def __init__(self, upstream: str, timeout: float = 60):
        self.upstream = urllib.parse.urlparse(upstream)
        self.timeout = timeout
        outer = self

        class Handler(QuietHandler):
            def setup(self):
                super().setup()
                # headers and body go out in separate writes: without this, every response
                # waits for the client's delayed ACK (about 40 ms) and timings mean nothing
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                # one upstream connection per client connection, kept alive as the client's is
                self.upstream = _Upstream(outer.upstream, outer.timeout)

            def finish(self):
                self.upstream.close()
                super().finish()

            def _any(self):
                body = self._body()  # first: a chunked body changes the headers
                req = Request(self.command, self.path, list(self.headers.items()), body)
                reply = outer.intercept(req)
                if reply is RESET:
                    self._reset()
                    return
                forwarded = reply is None
                if forwarded:
                    reply = outer.rewrite(req, self.upstream.send(req))
                    if reply is RESET:
                        self._reset()
                        return
                self._send(reply)
                if forwarded:
                    outer.forwarded(req, reply)

            def _body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            break
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    body = b"".join(chunks)
                    # passed on with the length it turned out to have
                    del self.headers["Transfer-Encoding"]
                    self.headers["Content-Length"] = str(len(body))
                    return body
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _send(self, reply: Reply):
                self.send_response_only(reply.status, reply.reason or None)
                length = None
                for k, v in reply.headers:
                    lk = k.lower()
                    if lk == "content-length":
                        length = v
                    elif lk not in HOP_BY_HOP:
                        self.send_header(k, v)
                no_body = self.command == "HEAD" or reply.status in (204, 304) or reply.status < 200
                if no_body:
                    if length is not None:  # what a GET would have had
                        self.send_header("Content-Length", length)
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if not no_body:
                        self.wfile.write(reply.body)
                    self.wfile.flush()
                except OSError:
                    self.close_connection = True  # the client went away (a killed plugin)

            def _reset(self):
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Le")
                self.wfile.flush()
                self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                self.close_connection = True
                self.request.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any

        super().__init__(Handler)

    def intercept(self, req: Request) -> Reply | None:
        """Override: an answer of the proxy's own (or RESET), or None to pass the request on."""
        return None

    def rewrite(self, req: Request, reply: Reply) -> Reply:
        """Override: what the client gets instead of the upstream's answer (or RESET)."""
        return reply

    def forwarded(self, req: Request, reply: Reply) -> None:
        """Override: called once the upstream's answer was passed on."""

