"""The plugin over real gRPC, launched as the engine launches it, driven with Pulumi's own
generated client stubs: the port handshake, every provider RPC the engine makes before a
resource exists, error codes, malformed bytes, and shutdown."""
import json
import signal
import subprocess
import time

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import provider_pb2

from harness.plugin import SLOWDOWN, Plugin

ALL_METHODS = ["Handshake", "GetPluginInfo", "GetSchema", "CheckConfig", "DiffConfig", "Configure",
               "Check", "Diff", "Create", "Read", "Update", "Delete", "Cancel"]
RESOURCE_METHODS = ["Create", "Read", "Update", "Delete"]
URN = "urn:pulumi:dev::proj::secureapi:index:SecureApiStack::api"


def s(**kw) -> struct_pb2.Struct:
    st = struct_pb2.Struct()
    st.update(kw)
    return st


def test_port_line_is_the_only_stdout(plugin):
    assert plugin.port_line.endswith(b"\n")
    assert 0 < plugin.port < 65536
    plugin.stub.GetPluginInfo(empty_pb2.Empty())
    plugin.signal(signal.SIGTERM)
    plugin.proc.wait(timeout=5)
    assert plugin.rest_of_stdout() == b""


def test_plugin_info_reports_project_version(plugin, version):
    info = plugin.stub.GetPluginInfo(empty_pb2.Empty())
    assert info.version == version


def test_handshake_accepts_secrets_and_resources(plugin, engine):
    r = plugin.stub.Handshake(provider_pb2.ProviderHandshakeRequest(
        engine_address=engine.address, root_directory="/tmp", program_directory="/tmp",
        configure_with_urn=True, supports_views=True, invoke_with_preview=True,
        accepts_byte_string=True))
    assert r.accept_secrets and r.accept_resources


def test_get_schema_unconfigured(plugin, version):
    r = plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0))
    schema = json.loads(r.schema)
    assert schema["name"] == "secureapi"
    assert schema["version"] == version
    res = schema["resources"]["secureapi:index:SecureApiStack"]
    assert res["requiredInputs"] == ["environmentSuffix"]
    for out in ("apiUrl", "functionName", "kmsKeyId", "logGroupName"):
        assert out in res["properties"] and res["properties"][out]["description"]
    for key in ("accessKey", "secretKey", "token"):
        assert schema["config"]["variables"][key]["secret"] is True
    assert schema["language"]["nodejs"]["packageName"] == "pulumi-secureapi"
    assert schema["language"]["python"]["packageName"] == "pulumi_secureapi"


def test_get_schema_unknown_subpackage(plugin):
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(subpackage_name="nope"))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "nope" in e.value.details()


def test_configure_flags(plugin):
    r = plugin.stub.Configure(provider_pb2.ConfigureRequest(
        args=s(region="ap-southeast-1", skipCredentialsValidation="true"), acceptSecrets=True,
        acceptResources=True))
    assert r.acceptSecrets and r.supportsPreview and r.acceptResources


def test_configure_without_credentials_says_what_was_tried(plugin):
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Configure(provider_pb2.ConfigureRequest(args=s(region="ap-southeast-1"),
                                                            acceptSecrets=True))
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    msg = e.value.details()
    assert "no AWS credentials found" in msg
    for tried in ("provider config", "AWS_ACCESS_KEY_ID", "shared files", "container",
                  "metadata"):
        assert tried in msg, msg
    assert "skipCredentialsValidation" in msg


def test_check_config_returns_inputs(plugin):
    r = plugin.stub.CheckConfig(provider_pb2.CheckRequest(
        urn="urn:pulumi:dev::proj::pulumi:providers:secureapi::default", news=s(region="eu-west-1")))
    assert dict(r.inputs) == {"region": "eu-west-1"}
    assert len(r.failures) == 0


def test_diff_config_region_change_replaces(plugin):
    r = plugin.stub.DiffConfig(provider_pb2.DiffRequest(
        olds=s(region="ap-southeast-1"), news=s(region="eu-west-1")))
    assert r.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(r.replaces) == ["region"]
    r = plugin.stub.DiffConfig(provider_pb2.DiffRequest(
        olds=s(region="ap-southeast-1"), news=s(region="ap-southeast-1")))
    assert r.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_cancel_is_acknowledged(plugin):
    plugin.stub.Cancel(empty_pb2.Empty())
    assert plugin.stub.GetPluginInfo(empty_pb2.Empty()).version


@pytest.mark.parametrize("method", RESOURCE_METHODS)
def test_resource_methods_refuse_empty_requests_clearly(plugin, method):
    with pytest.raises(grpc.RpcError) as e:
        plugin.raw(method, b"")
    assert e.value.code() != grpc.StatusCode.OK
    # empty requests on an unconfigured provider: a clear error naming the resource type
    assert "secureapi:index:SecureApiStack" in e.value.details()


def test_unknown_methods_are_unimplemented(plugin):
    for method in ("Construct", "Call", "Invoke", "Parameterize", "GetMapping", "List"):
        with pytest.raises(grpc.RpcError) as e:
            plugin.raw(method, b"")
        assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED, method


@pytest.mark.parametrize("method", ALL_METHODS)
def test_malformed_bytes_invalid_argument_and_keeps_serving(plugin, method):
    junk = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x0a\xff"
    if method in ("GetPluginInfo", "Cancel"):
        junk = b"\x0a\xff\xff\xff\x0f"  # a length-delimited field that runs past the end
    with pytest.raises(grpc.RpcError) as e:
        plugin.raw(method, junk)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert plugin.alive()
    assert plugin.stub.GetPluginInfo(empty_pb2.Empty()).version


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_within_a_second(plugin, sig):
    plugin.stub.GetPluginInfo(empty_pb2.Empty())
    t0 = time.monotonic()
    plugin.signal(sig)
    plugin.proc.wait(timeout=5)
    assert time.monotonic() - t0 < 1.0 * SLOWDOWN
    assert plugin.proc.returncode == 0


def test_flags_in_any_order_and_unknown_flags(plugin_bin, engine):
    p = Plugin(plugin_bin, args=["-v=3", "--unknown-flag", "--tracing", "http://127.0.0.1:1/x",
                                 "--logtostderr"], engine=engine)
    try:
        assert p.stub.GetPluginInfo(empty_pb2.Empty()).version
    finally:
        p.close()


def test_exits_when_the_engine_goes_away(plugin_bin, engine, tmp_path):
    # A parent shell launches the plugin the way the engine does and then dies.
    script = (f'"{plugin_bin}" {engine.address} > "{tmp_path}/port" & echo $! > "{tmp_path}/pid"; '
              "sleep 0.5")
    subprocess.run(["bash", "-c", script], check=True, timeout=10)
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            import os
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        import os
        os.kill(pid, signal.SIGKILL)
        pytest.fail("plugin kept running after its parent exited")
