"""SecureApiStack's whole lifecycle against moto, driven over gRPC like the engine drives it, with
every sub-resource checked through boto3 (policy documents parsed and compared, not
string-matched): create; refresh with no drift; each in-place update verified in moto with no
replacement; a suffix change replaces; drift repaired after out-of-band deletes; import; delete
leaves nothing in any of the six services."""
import grpc
import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.plugin import struct
from harness.resource import TYPE, URN, Stack
from harness.stack_checks import REGION, check_stack_in_moto, everything

D = json_format.MessageToDict


def test_lifecycle(aws_plugin, aws):
    s = Stack(aws_plugin)
    base = {"environmentSuffix": "dev", "tags": {"team": "api"}}
    out = s.create(base)
    assert s.id == f"{REGION}/{out['functionName']}"
    check_stack_in_moto(aws, out, tags={"team": "api"})

    # refresh right after create: no drift
    r = s.read()
    assert D(r.properties) == D(s.outputs) and D(r.inputs) == D(s.inputs)
    assert s.diff(s.check(base)).changes == provider_pb2.DiffResponse.DIFF_NONE

    # each in-place change, verified in moto, never a replacement
    rest_api, key = out["restApiId"], out["kmsKeyId"]
    for news, expect in [
        (dict(base, lambdaMemorySize=512), dict(memory=512, tags={"team": "api"})),
        (dict(base, lambdaMemorySize=512, logRetentionInDays=14),
         dict(memory=512, retention=14, tags={"team": "api"})),
        (dict(base, lambdaMemorySize=512, logRetentionInDays=14, executionPolicy="managed"),
         dict(memory=512, retention=14, policy="managed", tags={"team": "api"})),
        (dict(base, lambdaMemorySize=512, logRetentionInDays=14, executionPolicy="managed",
              tags={"team": "platform", "owner": "me"}),
         dict(memory=512, retention=14, policy="managed", tags={"team": "platform", "owner": "me"})),
        (dict(base, lambdaMemorySize=512, logRetentionInDays=14, stageName="v2",
              tags={"owner": "me"}),
         dict(memory=512, retention=14, stage="v2", tags={"owner": "me"})),
    ]:
        d, out = s.update(news)
        assert d.changes == provider_pb2.DiffResponse.DIFF_SOME and list(d.replaces) == []
        assert out["restApiId"] == rest_api and out["kmsKeyId"] == key
        check_stack_in_moto(aws, out, **expect)
    assert [st["stageName"] for st in aws.boto3_client("apigateway").get_stages(
        restApiId=rest_api)["item"]] == ["v2"]

    # the code changes in place too
    code = "exports.handler = async () => ({ statusCode: 204, body: '' });\n"
    old_sha = aws.boto3_client("lambda").get_function(
        FunctionName=out["functionName"])["Configuration"]["CodeSha256"]
    d, out = s.update(dict(base, lambdaMemorySize=512, logRetentionInDays=14, stageName="v2",
                           tags={"owner": "me"}, lambdaHandlerCode=code))
    assert list(d.diffs) == ["lambdaHandlerCode"] and list(d.replaces) == []
    assert aws.boto3_client("lambda").get_function(
        FunctionName=out["functionName"])["Configuration"]["CodeSha256"] != old_sha

    # a suffix change replaces
    d = s.diff(s.check(dict(base, environmentSuffix="qa")))
    assert list(d.replaces) == ["environmentSuffix"]

    s.delete()
    assert everything(aws) == {k: [] for k in everything(aws)}


def test_drift_repaired(aws_plugin, aws):
    s = Stack(aws_plugin)
    out = s.create({"environmentSuffix": "drift"})
    aws.boto3_client("logs").delete_log_group(logGroupName=out["logGroupName"])
    aws.boto3_client("lambda").delete_function(FunctionName=out["functionName"])
    r = s.read()
    assert r.id == s.id
    refreshed = D(r.properties)
    assert "logGroupArn" not in refreshed and "functionArn" not in refreshed
    s.outputs, s.inputs = r.properties, r.inputs
    d = s.diff(s.check({"environmentSuffix": "drift"}))
    assert d.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert {"logGroupArn", "functionArn"} <= set(d.diffs) and list(d.replaces) == []
    _, out = s.update({"environmentSuffix": "drift"})
    check_stack_in_moto(aws, out)
    # everything gone out of band: refresh removes the resource
    s.delete()
    r = s.read()
    assert r.id == ""


def test_import(aws_plugin, aws):
    plugin = aws_plugin
    s = Stack(plugin)
    out = s.create({"environmentSuffix": "imp", "lambdaMemorySize": 1024,
                    "tags": {"team": "x"}, "lambdaEnvironment": {"MODE": "fast"}})
    r = plugin.stub.Read(provider_pb2.ReadRequest(id=s.id, urn=URN, name="api", type=TYPE))
    inputs = D(r.inputs)
    assert r.id == s.id
    assert inputs["environmentSuffix"] == "imp" and inputs["region"] == REGION
    assert inputs["lambdaMemorySize"] == 1024 and inputs["tags"] == {"team": "x"}
    assert inputs["lambdaEnvironment"] == {"MODE": "fast"}
    assert inputs["__names"] == D(s.inputs)["__names"]
    assert D(r.properties)["kmsKeyId"] == out["kmsKeyId"]
    assert D(r.properties)["restApiId"] == out["restApiId"]
    # the engine Checks imported inputs: they must pass
    chk = plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=r.inputs,
                                                      randomSeed=b"other", name="api", type=TYPE))
    assert list(chk.failures) == []
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Read(provider_pb2.ReadRequest(id="not-an-id", urn=URN, name="api", type=TYPE))
    assert "<region>/<function name>" in e.value.details()
    s.delete()
