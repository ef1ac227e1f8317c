"""Fixtures of the fault matrix: moto behind the fault proxy, and the plugin pointed at it."""
import os

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2

from harness.fault_proxy import FaultProxy
from harness.plugin import Plugin, RecordingEngine


def struct(d):
    s = struct_pb2.Struct()
    json_format.ParseDict(d, s)
    return s


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
