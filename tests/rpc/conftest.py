"""Fixtures of the rpc suite: the plugin launched against the recording fake Engine, and the
plugin configured for moto, and the fault proxy in front of moto for the tests that inject
faults or latency."""

import pytest

from harness.fault_proxy import FaultProxy
from harness.plugin import Plugin
from harness.stack_checks import REGION


@pytest.fixture
def plugin(plugin_bin, engine, tmp_path):
    p = Plugin(plugin_bin, engine=engine, stderr_path=tmp_path / "plugin.stderr")
    yield p
    p.close()


@pytest.fixture
def aws_plugin(configured_plugin, aws):
    """The plugin configured (with its STS check) for moto in the stacks' region."""
    return configured_plugin(aws.client_env(REGION))


@pytest.fixture
def proxy(aws):
    """A FaultProxy between the plugin and moto (point AWS_ENDPOINT_URL at proxy.url)."""
    p = FaultProxy(aws.url)
    yield p
    p.stop()
