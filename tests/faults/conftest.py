"""Fixtures of the fault matrix: moto behind the fault proxy, and the plugin pointed at it; for
the TCP-level faults, toxiproxy in front of a fault proxy per service."""
import os

import pytest
from pulumi.runtime.proto import provider_pb2

from harness.fault_proxy import FaultProxy
from harness.plugin import Plugin, RecordingEngine, struct
from harness.toxiproxy import Toxiproxy, default_binary

TCP_HTTP_TIMEOUT = 1  # httpTimeoutSeconds of the plugin in the TCP-level tests



@pytest.fixture
def proxy(aws):
    p = FaultProxy(aws.url)
    yield p
    p.stop()


@pytest.fixture
def plugin(plugin_bin, aws, proxy, tmp_path):
    engine = RecordingEngine()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws.client_env())
    env["AWS_ENDPOINT_URL"] = proxy.url
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "plugin.stderr")
    p.stub.Configure(provider_pb2.ConfigureRequest(
        args=struct({"skipCredentialsValidation": "true"}), acceptSecrets=True))
    yield p
    p.close()
    engine.stop()


# ---- TCP-level faults (test_tcp_faults.py) ------------------------------------------------------
SERVICES = ["sts", "kms", "iam", "lambda", "logs", "apigateway"]


@pytest.fixture(scope="session")
def toxiproxy(tmp_path_factory):
    """toxiproxy-server for the session; a missing binary fails the test (it is part of the test
    toolchain, built by tools/setup/install-toxiproxy.sh), it is never skipped."""
    binary = default_binary()
    if not binary.exists():
        pytest.fail(f"toxiproxy-server not found at {binary}: run "
                    f"tools/setup/install-toxiproxy.sh (or set SECUREAPI_TOXIPROXY)")
    server = Toxiproxy(binary, tmp_path_factory.mktemp("toxiproxy") / "toxiproxy.log").start()
    yield server
    server.stop()


class Network:
    """Each service's own path from the plugin to moto: a toxiproxy proxy (where TCP faults are
    injected, so a toxic hits one service only) in front of a FaultProxy of its own (which sees
    each request's operation, so a toxic can be switched on when one operation is asked, and
    off when the plugin comes back), in front of moto. "default" carries everything else (the
    Resource Groups Tagging API)."""

    def __init__(self, toxiproxy, upstream, tag):
        self.http = {}
        self.tcp = {}
        for svc in SERVICES + ["default"]:
            self.http[svc] = FaultProxy(upstream)
            self.tcp[svc] = toxiproxy.proxy(f"{svc}-{tag}", self.http[svc].url)

    def endpoints(self):
        return {svc: self.tcp[svc].url for svc in SERVICES}

    def reset(self):
        for svc in self.tcp:
            self.tcp[svc].clear()
            self.http[svc].clear()

    def close(self):
        for svc in self.tcp:
            self.tcp[svc].delete()
            self.http[svc].stop()


@pytest.fixture(scope="module")
def network(toxiproxy, moto):
    n = Network(toxiproxy, moto.url, "faults")
    yield n
    n.close()


@pytest.fixture
def net(network, aws):
    """The network with moto reset, no toxic and no fault rule."""
    network.reset()
    yield network
    network.reset()


@pytest.fixture
def tcp_plugin(plugin_bin, aws, net, tmp_path):
    """The plugin with every service's endpoint on its toxiproxy proxy, each HTTP exchange limited
    to TCP_HTTP_TIMEOUT s (httpTimeoutSeconds) and the AWS client's debug lines in its stderr."""
    engine = RecordingEngine()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws.client_env())
    env["AWS_ENDPOINT_URL"] = net.tcp["default"].url
    env["PULUMI_SECUREAPI_DEBUG"] = "1"
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "plugin.stderr")
    p.config = {"endpoints": net.endpoints(), "httpTimeoutSeconds": str(TCP_HTTP_TIMEOUT),
                "skipCredentialsValidation": "true"}
    p.stub.Configure(provider_pb2.ConfigureRequest(args=struct(p.config), acceptSecrets=True))
    yield p
    p.close()
    engine.stop()
