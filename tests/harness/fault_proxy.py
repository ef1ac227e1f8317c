"""A fault-injecting HTTP proxy on loopback between the plugin and moto. Requests pass through to
moto unless a rule matches them; a matching rule answers with an AWS-shaped error instead (a
number of times, or always). Rules match an operation the way AWS names it: the X-Amz-Target of
JSON services, the Action of Query services, or a method and path pattern of REST services; "*"
matches every request. A rule without a status only runs its hook and lets the request through:
a trigger for faults injected elsewhere (toxiproxy's TCP-level toxics, harness/toxiproxy.py).
A rule can also carry an exact answer (`reply`: status, headers and body as a service writes
them), or lose moto's answer (`lose_answer`: moto does the work, the client gets a reset)."""
from __future__ import annotations

import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from harness.http_proxy import RESET, ForwardingProxy, Reply, Request, aws_error


@dataclass
class Fault:
    operation: str                 # "CreateLogGroup", "CreateRole", "POST /2015-03-31/functions", "*"
    status: int | None = 500       # None: the hook only, then the request goes through
    code: str = "InternalFailure"
    message: str = "injected fault"
    times: int | None = None       # None: every time
    hook: object = None            # called (no arguments) when the fault fires, before answering
    after: object = None           # without a status: called once moto's answer was passed on
    reply: Reply | None = None     # this exact answer instead of one made from status/code/message
    lose_answer: bool = False      # forward to moto, then reset the connection instead of answering
    hits: int = 0
    seen: list = field(default_factory=list)

    def matches(self, method: str, path: str, target: str, action: str) -> bool:
        if self.operation == "*":
            return True
        if " " in self.operation:
            m, pattern = self.operation.split(" ", 1)
            return m == method and re.fullmatch(pattern, path.split("?")[0]) is not None
        return self.operation in (target.split(".")[-1] if target else "", action)


class FaultProxy(ForwardingProxy):
    def __init__(self, upstream: str):
        self.faults: list[Fault] = []
        self.calls: list[str] = []
        self.timings: list[tuple[str, float]] = []  # (operation, seconds at the upstream)
        self.latency = 0.0  # seconds added to every forwarded request (a far-away region)
        self.pending = 0  # requests on their way to moto (counted until moto has answered)
        self.lock = threading.Lock()
        self._local = threading.local()  # the request in hand: its operation, fault, start time
        super().__init__(upstream)

    def intercept(self, req: Request) -> Reply | None:
        target = req.header("X-Amz-Target")
        action = ""
        if req.body.startswith(b"Action="):
            action = urllib.parse.parse_qs(req.body.decode()).get("Action", [""])[0]
        op = target.split(".")[-1] or action or f"{req.method} {req.target}"
        with self.lock:
            self.calls.append(op)
            fault = next((f for f in self.faults if (f.times is None or f.hits < f.times)
                          and f.matches(req.method, req.target, target, action)), None)
            if fault:
                fault.hits += 1
        if fault and fault.hook is not None:
            fault.hook()
        if fault and fault.reply is not None:
            return fault.reply
        if fault and fault.status is not None and not fault.lose_answer:
            if fault.status == 0:
                return RESET  # a connection reset mid-response: half a status line, then RST
            return aws_error(fault.status, fault.code, fault.message, xml=bool(action),
                             request_id="fault")
        with self.lock:
            self.pending += 1
        if self.latency:
            time.sleep(self.latency)
        self._local.op, self._local.fault, self._local.t0 = op, fault, time.monotonic()
        return None

    def rewrite(self, req: Request, reply: Reply) -> Reply:
        with self.lock:
            self.pending -= 1
        fault = self._local.fault
        return RESET if fault is not None and fault.lose_answer else reply

    def forwarded(self, req: Request, reply: Reply) -> None:
        fault = self._local.fault
        if fault and fault.after is not None:
            fault.after()
        with self.lock:
            self.timings.append((self._local.op, time.monotonic() - self._local.t0))

    def wait_idle(self, timeout: float = 30) -> None:
        """Waits until every request passed on has reached moto and been answered, including
        those whose client gave up while the proxy held them (the latency): AWS, too, acts on a
        request that reached it before the client went away."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.pending == 0:
                    return
            time.sleep(0.02)
        raise AssertionError(f"{self.pending} requests still on their way to moto")

    def inject(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
