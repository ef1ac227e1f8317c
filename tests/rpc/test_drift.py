"""Drift repair that keeps the stack working, as real AWS needs it (moto would accept a broken
stack): after the REST API is deleted out of band, `pulumi up` makes a new one AND replaces the
Lambda invoke permission, which names the API in its AWS:SourceArn; a KMS key found pending
deletion or disabled by refresh is replaced, the log group is encrypted with the new key
(CloudWatch Logs AssociateKmsKey), the alias points at it, and a disabled key (still the stack's)
is scheduled for deletion. Every piece is then checked in moto as after a create."""
import json

from pulumi.runtime.proto import provider_pb2

from harness.resource import Stack
from harness.stack_checks import check_stack_in_moto, everything


def invoke_source(aws, fn: str) -> str:
    (stmt,) = json.loads(aws.boto3_client("lambda").get_policy(FunctionName=fn)["Policy"])["Statement"]
    return stmt["Condition"]["ArnLike"]["AWS:SourceArn"]


def test_recreated_api_gets_the_invoke_permission(aws_plugin, aws):
    s = Stack(aws_plugin)
    out = s.create({"environmentSuffix": "drift"})
    old_api = out["restApiId"]
    aws.boto3_client("apigateway").delete_rest_api(restApiId=old_api)
    refreshed = s.refresh()
    assert "restApiId" not in refreshed and "apiUrl" not in refreshed
    d = s.diff(s.check({"environmentSuffix": "drift"}))
    assert "restApiId" in d.diffs and list(d.replaces) == []
    assert "restApiId" not in d.stables  # the new API gets a new id
    _, out = s.update({"environmentSuffix": "drift"})
    assert out["restApiId"] != old_api
    assert invoke_source(aws, out["functionName"]).endswith(f":{out['restApiId']}/*")
    check_stack_in_moto(aws, out)
    s.delete()
    assert everything(aws) == {k: [] for k in everything(aws)}


def key_state(aws, key_id: str) -> str:
    return aws.boto3_client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def test_key_pending_deletion_is_replaced(aws_plugin, aws):
    s = Stack(aws_plugin)
    out = s.create({"environmentSuffix": "keys"})
    old_key = out["kmsKeyId"]
    aws.boto3_client("kms").schedule_key_deletion(KeyId=old_key, PendingWindowInDays=7)
    refreshed = s.refresh()
    assert "kmsKeyId" not in refreshed
    d = s.diff(s.check({"environmentSuffix": "keys"}))
    assert "kmsKeyId" in d.diffs and list(d.replaces) == []
    assert "kmsKeyId" not in d.stables
    _, out = s.update({"environmentSuffix": "keys"})
    assert out["kmsKeyId"] != old_key and key_state(aws, out["kmsKeyId"]) == "Enabled"
    # the new key's policy, the alias on it, the log group encrypted with it
    check_stack_in_moto(aws, out)
    assert s.diff(s.check({"environmentSuffix": "keys"})).changes == \
        provider_pb2.DiffResponse.DIFF_NONE
    s.delete()


def test_disabled_key_is_replaced_and_retired(aws_plugin, aws):
    s = Stack(aws_plugin)
    out = s.create({"environmentSuffix": "keys", "kmsDeletionWindowInDays": 7})
    old_key = out["kmsKeyId"]
    aws.boto3_client("kms").disable_key(KeyId=old_key)
    refreshed = s.refresh()
    assert "kmsKeyId" not in refreshed and refreshed["_retiredKeyId"] == old_key
    _, out = s.update({"environmentSuffix": "keys", "kmsDeletionWindowInDays": 7})
    assert out["kmsKeyId"] != old_key and "_retiredKeyId" not in out
    check_stack_in_moto(aws, out)
    # the disabled key was the stack's: scheduled for deletion, not left behind
    assert key_state(aws, old_key) == "PendingDeletion"
    s.delete()
    assert everything(aws) == {k: [] for k in everything(aws)}


def test_timeout_above_the_integration_timeout_is_warned(aws_plugin, aws, engine):
    """API Gateway ends a REST integration at 29 s: a longer lambdaTimeout is allowed (the
    function may do work after answering) but the user is told what a client gets."""
    from pulumi.runtime.proto import engine_pb2
    s = Stack(aws_plugin)
    out = s.create({"environmentSuffix": "slow", "lambdaTimeout": 60})
    warnings = [l.message for l in engine.logs if l.severity == engine_pb2.WARNING]
    assert any("lambdaTimeout is 60 s but API Gateway's REST integration timeout is 29 s" in w
               for w in warnings), warnings
    cfg = aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])["Configuration"]
    assert cfg["Timeout"] == 60
    ag = aws.boto3_client("apigateway")
    res = {r["path"]: r["id"] for r in ag.get_resources(restApiId=out["restApiId"])["items"]}
    integ = ag.get_integration(restApiId=out["restApiId"], resourceId=res["/"], httpMethod="GET")
    assert integ["timeoutInMillis"] == 29000
    s.delete()
