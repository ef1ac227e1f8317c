"""Provider configuration and Struct values over real gRPC: CheckConfig reports every bad
setting as a CheckFailure naming it, Configure refuses bad settings with INVALID_ARGUMENT naming
the key, values arrive as strings, typed values or secrets, unknown keys are warned about through
the engine's Log service, and arbitrary values (secrets and unknowns nested anywhere, large
integers, unicode, empty values) round-trip unchanged through the plugin's value model."""
import signal

import grpc
import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import engine_pb2, plugin_pb2, provider_pb2

from harness.plugin import Plugin, struct

PROVIDER_URN = "urn:pulumi:dev::proj::pulumi:providers:secureapi::default"
SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWNS = ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
            "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
            "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", "030794c1-ac77-496b-92df-f27374a8bd58",
            "e48ece36-62e2-4504-bad9-02848725956a"]



def secret(v):
    return {SIG: SECRET, "value": v}


def check_config(plugin, news: dict):
    return plugin.stub.CheckConfig(provider_pb2.CheckRequest(
        urn=PROVIDER_URN, news=struct(news), name="default", type="pulumi:providers:secureapi"))


@pytest.mark.parametrize("key,value,needle", [
    ("region", "mars-1", "not an AWS region"),
    ("region", 42, "expected a string"),
    ("profile", "", "must not be empty"),
    ("maxRetries", 26, "out of range"),
    ("maxRetries", "many", "whole number"),
    ("maxRetries", 2.5, "whole number"),
    ("httpTimeoutSeconds", 0, "0 is out of range: expected 1 to 3600"),
    ("httpTimeoutSeconds", 3601, "3601 is out of range: expected 1 to 3600"),
    ("httpTimeoutSeconds", "2m", "whole number from 1 to 3600"),
    ("httpTimeoutSeconds", 1.5, "whole number from 1 to 3600"),
    ("skipCredentialsValidation", "yes", "true or false"),
    ("endpoints", "not json", "object of service name"),
    ("endpoints", {"kms": "localhost:4566"}, "http:// or https://"),
    ("endpoints", {"s3": "http://127.0.0.1:1"}, "unknown service"),
    ("accessKey", "AKIAONLY", "required when accessKey"),
    ("apiRateScale", 0, "positive number"),
    ("apiRateScale", -2, "positive number"),
    ("apiRateScale", "fast", "positive number"),
])
def test_check_config_failure_names_the_setting(plugin, key, value, needle):
    r = check_config(plugin, {key: value})
    assert len(r.failures) >= 1, r
    props = [f.property for f in r.failures]
    reasons = " ".join(f.reason for f in r.failures)
    assert any(p == key or p.startswith(key + ".") or (key == "accessKey" and p == "secretKey")
               for p in props), props
    assert needle in reasons


def test_check_config_accepts_strings_typed_and_secrets(plugin):
    good = {"region": "eu-west-1", "maxRetries": "4", "httpTimeoutSeconds": "30",
            "skipCredentialsValidation": "true",
            "accessKey": secret("AKIAEXAMPLE"), "secretKey": secret("not-a-real-secret"),
            "endpoints": '{"kms": "http://127.0.0.1:4566"}', "version": "0.1.0"}
    r = check_config(plugin, good)
    assert list(r.failures) == []
    assert json_format.MessageToDict(r.inputs) == good
    r = check_config(plugin, {"maxRetries": 0, "httpTimeoutSeconds": 3600,
                              "skipCredentialsValidation": False,
                              "endpoints": {"lambda": "https://lambda.example.test"}})
    assert list(r.failures) == []


def test_unknown_key_is_warned_through_the_engine(plugin, engine):
    r = check_config(plugin, {"regoin": "eu-west-1"})
    assert list(r.failures) == []
    warnings = [l for l in engine.logs if l.severity == engine_pb2.WARNING]
    assert warnings, engine.logs
    assert "regoin" in warnings[0].message
    assert warnings[0].urn == PROVIDER_URN
    assert not warnings[0].ephemeral


def test_configure_refuses_bad_settings_naming_them(plugin):
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Configure(provider_pb2.ConfigureRequest(args=struct({"region": "nowhere"}),
                                                            acceptSecrets=True))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "region" in e.value.details() and "nowhere" in e.value.details()
    assert "pulumi config set secureapi:region" in e.value.details()


def test_api_rate_scale_checked_before_any_aws_call(plugin_bin, engine, tmp_path, counting):
    """apiRateScale from the configuration or its environment variable: a bad value fails
    Configure naming the setting (and the variable) before any AWS call; a good one is taken."""
    env = {"AWS_ENDPOINT_URL": counting.url, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "ap-southeast-1",
           "PULUMI_SECUREAPI_API_RATE_SCALE": "lots"}
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "plugin.stderr")
    try:
        r = check_config(p, {})
        assert [f.property for f in r.failures] == ["apiRateScale"]
        assert "PULUMI_SECUREAPI_API_RATE_SCALE" in r.failures[0].reason
        with pytest.raises(grpc.RpcError) as e:
            p.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "apiRateScale" in e.value.details()
        assert "PULUMI_SECUREAPI_API_RATE_SCALE" in e.value.details()
        with pytest.raises(grpc.RpcError) as e:
            p.stub.Configure(provider_pb2.ConfigureRequest(args=struct({"apiRateScale": "0"}),
                                                           acceptSecrets=True))
        assert "apiRateScale" in e.value.details() and "positive number" in e.value.details()
        assert counting.requests == []
        # the configuration wins over the environment
        p.stub.Configure(provider_pb2.ConfigureRequest(
            args=struct({"apiRateScale": "2.5", "skipCredentialsValidation": "true"}),
            acceptSecrets=True))
    finally:
        p.close()


def test_configure_with_secret_credentials(plugin):
    r = plugin.stub.Configure(provider_pb2.ConfigureRequest(
        args=struct({"region": "ap-southeast-1", "accessKey": secret("AKIAEXAMPLE"),
                     "secretKey": secret("not-a-real-secret"), "skipCredentialsValidation": "true"}),
        acceptSecrets=True, acceptResources=True))
    assert r.acceptSecrets and r.supportsPreview


def test_diff_config_other_changes_update_in_place(plugin):
    r = plugin.stub.DiffConfig(provider_pb2.DiffRequest(
        olds=struct({"region": "ap-southeast-1", "maxRetries": "2"}),
        news=struct({"region": "ap-southeast-1", "maxRetries": "5", "profile": "dev"})))
    assert r.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert sorted(r.diffs) == ["maxRetries", "profile"]
    assert list(r.replaces) == []


ROUNDTRIP = {
    "extra": {
        "null": None, "t": True, "f": False,
        "big": 9007199254740992, "neg": -9007199254740991, "frac": 0.125,
        "unicode": "héllo ✓ 🚀 日本語", "empty": "", "emptyList": [], "emptyObj": {},
        "secretNested": {"a": [1, secret({"password": "hunter2", "more": secret([UNKNOWNS[0]])})]},
        "unknowns": UNKNOWNS + [secret(UNKNOWNS[2])],
        "ref": {SIG: RESOURCE, "urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "id": "b-1",
                "packageVersion": "6.0.0"},
    },
}


def test_struct_roundtrip_through_the_plugin(plugin):
    r = check_config(plugin, ROUNDTRIP)
    assert list(r.failures) == []
    assert json_format.MessageToDict(r.inputs) == ROUNDTRIP
    # exact bytes of the integers survive
    assert r.inputs["extra"]["big"] == 9007199254740992.0


def nest(depth: int) -> dict:
    d: dict = {}
    cur = d
    for _ in range(depth):
        cur["n"] = {}
        cur = cur["n"]
    return d


def test_depth_limit(plugin):
    check_config(plugin, {"extra": nest(30)})  # within the limit
    with pytest.raises(grpc.RpcError) as e:
        check_config(plugin, {"extra": nest(40)})
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "extra.n.n" in e.value.details() and "nested deeper" in e.value.details()


@pytest.mark.parametrize("sig", [ASSET, ARCHIVE])
def test_assets_and_archives_refused(plugin, sig):
    with pytest.raises(grpc.RpcError) as e:
        check_config(plugin, {"code": {SIG: sig, "hash": "00", "text": "x"}})
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "code" in e.value.details() and "not supported" in e.value.details()


def test_attach_mode(plugin_bin, engine):
    # No engine address on the command line: the plugin listens and waits for Attach.
    p = Plugin(plugin_bin)
    try:
        p.stub.Attach(plugin_pb2.PluginAttach(address=engine.address))
        check_config(p, {"regoin": "x"})
        assert any("regoin" in l.message for l in engine.logs)
    finally:
        p.close()


def test_no_secret_in_debug_output(plugin_bin, engine, tmp_path):
    stderr = tmp_path / "stderr"
    p = Plugin(plugin_bin, args=["-v=9", "--logtostderr"], engine=engine, stderr_path=stderr)
    try:
        p.stub.CheckConfig(provider_pb2.CheckRequest(urn=PROVIDER_URN, news=struct(
            {"accessKey": "AKIAVISIBLEKEYID", "secretKey": "super-secret-value-123",
             "token": "session-token-value-456", "bogus": "x"})))
        p.stub.Configure(provider_pb2.ConfigureRequest(args=struct(
            {"accessKey": secret("AKIAVISIBLEKEYID"), "secretKey": secret("super-secret-value-123"),
             "token": secret("session-token-value-456"), "skipCredentialsValidation": "true"}),
            acceptSecrets=True))
        p.signal(signal.SIGTERM)
        p.proc.wait(timeout=5)
    finally:
        p.close()
    text = stderr.read_text()
    assert "rpc /pulumirpc.ResourceProvider/Configure" in text  # debug logging is on
    for s in ("super-secret-value-123", "session-token-value-456"):
        assert s not in text
        assert all(s not in l.message for l in engine.logs)


@pytest.mark.parametrize("args,needle", [
    ({"profile": "nonexistent-profile"}, "nonexistent-profile"),
    ({"endpoints": {"sts": "http://"}}, "endpoints.sts"),
    ({"region": "eu-west-1", "accessKey": "AKIAONLY"}, "secretKey"),
])
def test_configure_names_the_bad_setting(plugin, args, needle):
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Configure(provider_pb2.ConfigureRequest(args=struct(args), acceptSecrets=True))
    assert e.value.code() in (grpc.StatusCode.INVALID_ARGUMENT,
                              grpc.StatusCode.FAILED_PRECONDITION)
    assert needle in e.value.details(), e.value.details()
