"""Fixtures of the rpc suite: the plugin launched against the recording fake Engine, and the
plugin configured for moto."""
import os

import pytest
from pulumi.runtime.proto import provider_pb2

from harness.plugin import Plugin, struct
from harness.stack_checks import REGION


@pytest.fixture
def plugin(plugin_bin, engine, tmp_path):
    p = Plugin(plugin_bin, engine=engine, stderr_path=tmp_path / "plugin.stderr")
    yield p
    p.close()


@pytest.fixture
def aws_plugin(plugin_bin, engine, tmp_path, aws):
    """The plugin configured (with its STS check) for moto in the stacks' region."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws.client_env(REGION))
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "plugin.stderr")
    p.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True,
                                                   acceptResources=True))
    yield p
    p.close()
