"""TCP-level faults between the plugin and moto, injected by toxiproxy on one service's
connections (tests/faults/conftest.py: Network): latency on every connection, answers slower than
the plugin's per-exchange timeout (httpTimeoutSeconds), connections reset (TCP RST) or cut part
way through an answer, at an operation of each of the six services in Create, Update and Delete.
A toxic is switched on when that operation's request arrives (so it hits that call and whatever
else the service is asked meanwhile, and AWS has done the work when the answer is lost) and, when
transient, off again once it has met the answer. Transient faults are retried to success, and an
operation that makes a new object each time (KMS CreateKey, API Gateway CreateRestApi) is not
repeated but its object looked for, so nothing is made twice; a persistent slow answer fails the
step within about (retries + 1) x the timeout with a message naming the operation and the
timeout, a failed Create reports what exists, the next step converges, and nothing is left
behind. tests/README.md has the resulting table."""
import threading
import time

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from faults.operations import OPS
from harness.fault_proxy import Fault
from harness.plugin import struct
from harness.toxiproxy import TCP_HTTP_TIMEOUT
from harness.stack_checks import check_stack_in_moto, everything

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
D = json_format.MessageToDict
ATTEMPTS = 3  # the default maxRetries (2) plus the first attempt
SLOW_MS = 3000  # how late a slow answer comes: well past TCP_HTTP_TIMEOUT


class TcpFault:
    """One TCP-level fault on one service's connections. It is switched on by the hook of a
    pass-through rule on the service's fault proxy when `operation`'s request arrives, before the
    request goes on to moto (so AWS does the work and only the answer is lost, as when a network
    fails mid-response). When transient, it is switched off again by the next request of the
    service once the fault has met the answer (a slow answer: a request a timeout later, when the
    plugin has given up on it; a reset or a cut: a request after moto's answer went into the
    toxic), or by a timer, whichever comes first; when persistent, it stays until `clear`."""

    def __init__(self, net, service, operation, kind, transient):
        self.net, self.service, self.operation = net, service, operation
        self.kind, self.transient = kind, transient
        self.tcp = net.tcp[service]
        self.lock = threading.Lock()
        self.toxic = None
        self.timer = None
        self.fired_at = None
        self.answered_at = None
        self.cleared_at = None
        self.asked = 0  # how many times the operation reached the fault proxy (and moto)

    def arm(self):
        fp = self.net.http[self.service]
        fp.inject(Fault(self.operation, status=None, times=1, hook=self._on_operation,
                        after=self._on_answer))
        fp.inject(Fault(self.operation, status=None, hook=self._on_again))
        if self.transient:
            fp.inject(Fault("*", status=None, hook=self._maybe_clear))
        return self

    def _on_operation(self):
        with self.lock:
            self.asked += 1
            self.fired_at = time.monotonic()
            if self.kind == "slow":
                self.toxic = self.tcp.add("latency", latency=SLOW_MS)
            elif self.kind == "reset":
                # the first bytes of the answer meet a closed socket with SO_LINGER 0: an RST
                self.toxic = self.tcp.add("reset_peer", timeout=0)
            elif self.kind == "cut":
                # the status line and part of the headers, then the connection closes
                self.toxic = self.tcp.add("limit_data", bytes=40)
            else:
                raise AssertionError(self.kind)
        if self.transient:
            self.timer = threading.Timer(TCP_HTTP_TIMEOUT + 1.5, self.clear)
            self.timer.start()

    def _on_again(self):
        with self.lock:
            self.asked += 1
        if self.transient:
            self._maybe_clear()

    def _on_answer(self):
        with self.lock:
            self.answered_at = time.monotonic()

    def _maybe_clear(self):
        with self.lock:
            if self.fired_at is None or self.toxic is None:
                return
            if self.kind == "slow" and time.monotonic() - self.fired_at < TCP_HTTP_TIMEOUT:
                return
            if self.kind != "slow" and self.answered_at is None:
                return
            wait = 0.0 if self.kind == "slow" else self.answered_at + 0.1 - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # give toxiproxy time to read the answer and the toxic time to act
        self.clear()

    def clear(self):
        with self.lock:
            if self.toxic is not None:
                self.tcp.remove(self.toxic)
                self.toxic = None
                self.cleared_at = time.monotonic()

    def timeline(self):
        t0 = self.fired_at or 0
        return {k: round(v - t0, 3) for k, v in (("answered", self.answered_at),
                                                  ("cleared", self.cleared_at)) if v}

    def close(self):
        if self.timer is not None:
            self.timer.cancel()
        self.clear()


class Stack:
    def __init__(self, plugin):
        self.plugin = plugin
        self.id = None
        self.props = None
        self.inputs = None

    def check(self, news):
        return self.plugin.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=struct({}), news=struct(news), randomSeed=b"t", name="api",
            type=TYPE)).inputs

    def create(self, news):
        self.inputs = self.check(news)
        r = self.plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=self.inputs,
                                                               name="api", type=TYPE))
        self.id, self.props = r.id, r.properties
        return D(r.properties)

    def adopt_partial(self, err):
        """What the engine keeps from a Create that failed with ErrorResourceInitFailed."""
        md = dict(err.trailing_metadata() or ())
        st = status_pb2.Status.FromString(md["grpc-status-details-bin"])
        detail = provider_pb2.ErrorResourceInitFailed()
        st.details[0].Unpack(detail)
        assert detail.id, "the partial state has no id"
        self.id, self.props = detail.id, detail.properties
        return detail

    def update(self, news):
        new_inputs = self.check(news)
        r = self.plugin.stub.Update(provider_pb2.UpdateRequest(
            id=self.id, urn=URN, olds=self.props, news=new_inputs, old_inputs=self.inputs,
            name="api", type=TYPE))
        self.props, self.inputs = r.properties, new_inputs
        return D(r.properties)

    def delete(self):
        self.plugin.stub.Delete(provider_pb2.DeleteRequest(id=self.id, urn=URN,
                                                           properties=self.props, name="api",
                                                           type=TYPE))


BASE = {"environmentSuffix": "tcp"}
CHANGED = dict(BASE, lambdaMemorySize=512, logRetentionInDays=14, stageName="v2",
               tags={"team": "tcp"})
SERVICE_NAMES = {"sts": "STS", "kms": "KMS", "iam": "IAM", "lambda": "Lambda",
                 "logs": "CloudWatch Logs", "apigateway": "API Gateway"}
# the operations of the HTTP matrix (operations.OPS) by the names errors give them
OP_NAMES = {"POST /2015-03-31/functions": "CreateFunction", "POST /restapis": "CreateRestApi",
            r"PUT /2015-03-31/functions/[^/]+/configuration": "UpdateFunctionConfiguration",
            r"POST /restapis/[^/]+/stages": "CreateStage",
            r"DELETE /2015-03-31/functions/[^/]+": "DeleteFunction",
            r"DELETE /restapis/[^/]+": "DeleteRestApi"}


def what(op):
    """How the plugin names op in messages: "KMS CreateKey", "Lambda CreateFunction"."""
    return f"{SERVICE_NAMES[op[0]]} {OP_NAMES.get(op[2], op[2])}"


def nothing_left(aws):
    left = everything(aws)
    assert left == {k: [] for k in left}, left


def client_log(plugin, needle):
    """The AWS client's debug lines (PULUMI_SECUREAPI_DEBUG) that contain needle."""
    plugin.stderr_file.flush()
    return [line for line in plugin.stderr_path.read_text(errors="replace").splitlines()
            if needle in line]


def test_latency_on_every_connection(tcp_plugin, net, aws):
    """A far-away region on a thin line: 200 ms each way on every connection (tagging included),
    256 KB/s down, closes held 100 ms. Create, Update and Delete finish, and no exchange times out
    within a 10 s httpTimeoutSeconds."""
    tcp_plugin.stub.Configure(provider_pb2.ConfigureRequest(
        args=struct(dict(tcp_plugin.config, httpTimeoutSeconds="10")), acceptSecrets=True))
    for tp in net.tcp.values():
        tp.add("latency", stream="downstream", latency=200)
        tp.add("latency", stream="upstream", latency=200)
        tp.add("bandwidth", stream="downstream", rate=256)
        tp.add("slow_close", stream="downstream", delay=100)
    s = Stack(tcp_plugin)
    t0 = time.monotonic()
    out = s.create(BASE)
    created = time.monotonic() - t0
    check_stack_in_moto(aws, out)
    out = s.update(CHANGED)
    check_stack_in_moto(aws, out, memory=512, retention=14, stage="v2", tags={"team": "tcp"})
    s.delete()
    nothing_left(aws)
    calls = len(client_log(tcp_plugin, "-> HTTP"))
    print(f"\nlatency 2 x 200 ms: create {created:.1f} s, {calls} AWS answers in the lifecycle")
    assert created > 5 * 0.4, created  # the latency was there: the chains paid it call by call
    assert client_log(tcp_plugin, "-> ETIMEOUT") == []


def lifecycle(s, faults, step):
    """Create, Update, Delete with the faults armed before `step`."""
    for at in ("create", "update", "delete"):
        if at == step:
            for f in faults:
                f.arm()
        {"create": lambda: s.create(BASE), "update": lambda: s.update(CHANGED),
         "delete": s.delete}[at]()


# what the plugin's debug log says about the exchange a fault hit
SEEN = {"slow": f"-> ETIMEOUT: timed out after {TCP_HTTP_TIMEOUT} s", "reset": "-> EIO",
        "cut": "-> EIO: the connection closed before the answer's headers ended"}
# operations that make a new object each time they run: after a lost answer the plugin looks for
# the object instead of asking again
UNIQUE = {"CreateKey", "CreateRestApi"}


@pytest.mark.parametrize("step", ["create", "update", "delete"])
@pytest.mark.parametrize("kind", ["slow", "reset", "cut"])
def test_transient_tcp_faults_are_retried(tcp_plugin, net, aws, kind, step):
    """The fault at the operation of each service that the HTTP matrix uses for this step, all in
    one lifecycle (each on its own service's connections): every one is met, retried, and the
    lifecycle completes with nothing left and nothing made twice."""
    ops = [op for op in OPS if op[1] == step]
    faults = [TcpFault(net, op[0], op[2], kind, transient=True) for op in ops]
    s = Stack(tcp_plugin)
    try:
        lifecycle(s, faults, step)
    finally:
        for f in faults:
            f.close()
    for op, f in zip(ops, faults):
        assert f.fired_at is not None, f"{what(op)} was never asked"
        seen = client_log(tcp_plugin, f"aws: {what(op)} {SEEN[kind]}")
        if OP_NAMES.get(op[2], op[2]) in UNIQUE:
            # looked for, found, not made twice (and never re-sent by libcurl on its own)
            assert seen, f"the plugin never saw the fault at {what(op)}: {f.timeline()}"
            assert client_log(tcp_plugin, f"{what(op)}: what attempt 1 may have made exists")
            assert f.asked == 1, f"{what(op)} was sent {f.asked} times"
        else:
            # asked again: by the plugin, or (a reset on a reused connection before any byte of
            # the answer) by libcurl itself
            assert seen or kind == "reset", (f"the plugin never saw the fault at {what(op)}: "
                                             f"{client_log(tcp_plugin, what(op))} {f.timeline()}")
            assert f.asked >= 2, f"{what(op)} was not asked again after its answer was lost"
    nothing_left(aws)  # and nothing made twice by a repeated call whose answer was lost


# a slow answer that stays, at one operation of each service: Create x3, Update x2, Delete x1
PERSISTENT = [o for o in OPS if (o[0], o[1]) in {
    ("sts", "create"), ("kms", "create"), ("lambda", "create"), ("logs", "update"),
    ("iam", "update"), ("apigateway", "delete")}]


@pytest.mark.parametrize("op", PERSISTENT, ids=lambda o: f"{o[0]}-{o[1]}")
def test_persistent_slow_answers_fail_clearly_then_converge(tcp_plugin, net, aws, op):
    service, step, operation = op[0], op[1], op[2]
    fault = TcpFault(net, service, operation, "slow", transient=False)
    s = Stack(tcp_plugin)
    try:
        if step != "create":
            s.create(BASE)
        if step == "delete":
            s.update(CHANGED)
        fault.arm()
        with pytest.raises(grpc.RpcError) as e:
            {"create": lambda: s.create(BASE), "update": lambda: s.update(CHANGED),
             "delete": s.delete}[step]()
        failed_after = time.monotonic() - fault.fired_at
    finally:
        fault.close()
    message = e.value.details()
    print(f"\n{what(op)} slow for good: failed after {failed_after:.1f} s: {message}")
    # the operation, what happened, and the limit, in one line
    assert f"{what(op)}: timed out after {TCP_HTTP_TIMEOUT} s without a complete answer" in message
    # every attempt waited the timeout, and no longer (KMS CreateKey: one attempt, then the key it
    # may have made is looked for, and KMS does not answer DescribeKey either)
    assert ATTEMPTS * TCP_HTTP_TIMEOUT * 0.95 <= failed_after
    assert failed_after < (ATTEMPTS + 1) * TCP_HTTP_TIMEOUT + 2
    # the next step of the engine converges once the network is back
    if step == "create":
        md = dict(e.value.trailing_metadata() or ())
        if "grpc-status-details-bin" in md:
            detail = s.adopt_partial(e.value)
            assert "what exists is kept" in message
            print(f"partial state: {sorted(D(detail.properties))}")
            out = s.update(BASE)  # `pulumi up` again: Update from the partial state
        else:
            assert service == "sts", message  # nothing was made: the engine creates again
            out = s.create(BASE)
        check_stack_in_moto(aws, out)
    elif step == "update":
        # the engine keeps the old state and runs the same Update again
        out = s.update(CHANGED)
        check_stack_in_moto(aws, out, memory=512, retention=14, stage="v2", tags={"team": "tcp"})
    s.delete()
    nothing_left(aws)
