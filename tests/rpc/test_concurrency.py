"""Calls are served in parallel: a Create blocked on a slow AWS endpoint does not delay other
resources' Check and Diff calls (compared with the serial sum measured in the same run), and
Cancel ends the blocked Create at once rather than after the slow call."""
import threading
import time

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from harness.plugin import SLOWDOWN, struct
from harness.loopback import RefusingServer

TYPE = "secureapi:index:SecureApiStack"
DELAY = 3.0 * SLOWDOWN  # how late the slow server answers



@pytest.fixture
def slow():
    s = RefusingServer(DELAY, "slow server")
    yield s
    s.stop()


@pytest.fixture
def plugin(configured_plugin, slow):
    return configured_plugin({"AWS_ENDPOINT_URL": slow.url, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                              "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "ap-southeast-1",
                              "AWS_MAX_ATTEMPTS": "1"}, {"skipCredentialsValidation": "true"})


def checked(plugin, name):
    urn = f"urn:pulumi:dev::proj::{TYPE}::{name}"
    r = plugin.stub.Check(provider_pb2.CheckRequest(urn=urn, olds=struct({}),
                                                    news=struct({"environmentSuffix": name}),
                                                    randomSeed=name.encode(), name=name, type=TYPE))
    return urn, r.inputs


def test_blocked_create_does_not_delay_checks(plugin, slow):
    urn, inputs = checked(plugin, "blocked")
    result = {}

    def create():
        t0 = time.monotonic()
        try:
            plugin.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=inputs, name="blocked",
                                                          type=TYPE))
        except grpc.RpcError as e:
            result["error"] = e.details()
        result["seconds"] = time.monotonic() - t0

    t = threading.Thread(target=create)
    t.start()
    deadline = time.monotonic() + 10
    while not slow.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slow.requests, "Create never reached AWS"
    # while Create waits on AWS, other resources are checked and diffed
    latencies = []
    for i in range(20):
        t0 = time.monotonic()
        u, ins = checked(plugin, f"other{i}")
        plugin.stub.Diff(provider_pb2.DiffRequest(id="x", urn=u, olds=ins, news=ins,
                                                  old_inputs=ins, name=f"other{i}", type=TYPE))
        latencies.append(time.monotonic() - t0)
    create_running = t.is_alive()
    t.join(timeout=30)
    assert "slow server" in result["error"]  # the blocked call's own AWS error, clearly reported
    serial = result["seconds"] + sum(latencies)
    print(f"create {result['seconds']:.2f}s, 20 check+diff {sum(latencies):.3f}s, "
          f"serial sum {serial:.2f}s")
    assert create_running, "the checks should have finished while Create was still blocked"
    # run one after another they would take the serial sum; in parallel the checks add nothing
    # close to the blocked call's time
    assert sum(latencies) < 0.25 * result["seconds"]


def test_cancel_ends_a_blocked_create(plugin, slow):
    urn, inputs = checked(plugin, "cancelled")
    result = {}

    def create():
        try:
            plugin.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=inputs,
                                                          name="cancelled", type=TYPE))
        except grpc.RpcError as e:
            result["code"], result["error"] = e.code(), e.details()
        result["done"] = time.monotonic()

    t = threading.Thread(target=create)
    t.start()
    while not slow.requests:
        time.sleep(0.01)
    t0 = time.monotonic()
    plugin.stub.Cancel(empty_pb2.Empty())
    t.join(timeout=30)
    took = result["done"] - t0
    print(f"Create ended {took:.3f}s after Cancel (the slow call takes {DELAY}s)")
    assert result["code"] == grpc.StatusCode.CANCELLED, result
    assert took < DELAY / 3


def test_custom_timeout_bounds_a_blocked_create(plugin, slow):
    # customTimeouts: {create: "1s"} reaches the provider as timeout=1 (seconds)
    urn, inputs = checked(plugin, "timeout")
    t0 = time.monotonic()
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=inputs, name="timeout",
                                                      type=TYPE, timeout=1.0))
    took = time.monotonic() - t0
    print(f"Create with a 1 s timeout ended after {took:.2f}s (each AWS call takes {DELAY}s)")
    assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e.value.details()
    assert took < DELAY


def test_reconfigure_while_creates_are_in_flight(configured_plugin, aws):
    """The AWS client is shared by reference: Configure (again and again until the Creates end,
    each with another httpTimeoutSeconds) replaces the provider's client while three Creates use
    the old ones; every Create finishes on the client it started with, and none is freed under it
    (run under ASan and valgrind in tests/check.sh)."""
    from harness.fault_proxy import FaultProxy
    from harness.resource import Stack
    from harness.stack_checks import check_stack_in_moto

    proxy = FaultProxy(aws.url)
    proxy.latency = 0.2  # every AWS call takes a while, so the Creates overlap the Configures
    try:
        plugin = configured_plugin({**aws.client_env(), "AWS_ENDPOINT_URL": proxy.url})
        stacks = [Stack(plugin, urn=f"urn:pulumi:dev::proj::{TYPE}::api{i}") for i in range(3)]
        results, errors = {}, []

        def create(i):
            try:
                results[i] = stacks[i].create({"environmentSuffix": f"rc{i}"})
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(e)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        in_flight = []  # how many Creates were running when each Configure ended
        deadline = time.monotonic() + 300
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            plugin.stub.Configure(provider_pb2.ConfigureRequest(
                args=struct({"httpTimeoutSeconds": str(60 + len(in_flight) % 60),
                             "skipCredentialsValidation": "true"}),
                acceptSecrets=True, acceptResources=True))
            in_flight.append(sum(t.is_alive() for t in threads))
            time.sleep(0.05)
        for t in threads:
            t.join(timeout=10)
        assert not any(t.is_alive() for t in threads), "a Create did not end within 300 s"
        assert errors == []
        # the Creates ran through many client replacements, all three at once through several
        assert in_flight.count(3) >= 5, f"Creates in flight at each Configure: {in_flight}"
        for i in range(3):
            check_stack_in_moto(aws, results[i])
            stacks[i].delete()
    finally:
        proxy.stop()
