"""Calls are served in parallel: a Create blocked on a slow AWS endpoint does not delay other
resources' Check and Diff calls (compared with the serial sum measured in the same run), and
Cancel ends the blocked Create at once rather than after the slow call."""
import os
import threading
import time

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from harness.plugin import Plugin, struct
from harness.slow_server import SlowServer

TYPE = "secureapi:index:SecureApiStack"
DELAY = 3.0



@pytest.fixture
def slow():
    s = SlowServer(DELAY)
    yield s
    s.stop()


@pytest.fixture
def plugin(plugin_bin, engine, tmp_path, slow):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ENDPOINT_URL": slow.url, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "ap-southeast-1",
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1"})
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "plugin.stderr")
    p.stub.Configure(provider_pb2.ConfigureRequest(
        args=struct({"skipCredentialsValidation": "true"}), acceptSecrets=True))
    yield p
    p.close()


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
    while slow.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slow.requests >= 1, "Create never reached AWS"
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
    while slow.requests == 0:
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
