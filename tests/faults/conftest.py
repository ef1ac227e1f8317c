"""Fixtures of the fault matrix: moto behind the fault proxy, and the plugin pointed at it; for
the TCP-level faults, toxiproxy in front of a fault proxy per service."""

import pytest

from harness.fault_proxy import FaultProxy
from harness.toxiproxy import TCP_HTTP_TIMEOUT, Toxiproxy, default_binary




@pytest.fixture
def proxy(aws):
    p = FaultProxy(aws.url)
    yield p
    p.stop()


@pytest.fixture
def plugin(configured_plugin, aws, proxy):
    return configured_plugin({**aws.client_env(), "AWS_ENDPOINT_URL": proxy.url},
                             {"skipCredentialsValidation": "true"})


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
def tcp_plugin(configured_plugin, aws, net):
    """The plugin with every service's endpoint on its toxiproxy proxy, each HTTP exchange limited
    to TCP_HTTP_TIMEOUT s (httpTimeoutSeconds) and the AWS client's debug lines in its stderr."""
    config = {"endpoints": net.endpoints(), "httpTimeoutSeconds": str(TCP_HTTP_TIMEOUT),
              "skipCredentialsValidation": "true"}
    p = configured_plugin({**aws.client_env(), "AWS_ENDPOINT_URL": net.tcp["default"].url,
                           "PULUMI_SECUREAPI_DEBUG": "1"}, config)
    p.config = config
    return p
