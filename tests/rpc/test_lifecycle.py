"""SecureApiStack's whole lifecycle against moto, driven over gRPC like the engine drives it, with
every sub-resource checked through boto3 (policy documents parsed and compared, not
string-matched): create; refresh with no drift; each in-place update verified in moto with no
replacement; a suffix change replaces; drift repaired after out-of-band deletes; import; delete
leaves nothing in any of the six services."""
import json
import os
import urllib.parse

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2

from harness.plugin import Plugin

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
REGION = "ap-southeast-1"
ACCOUNT = "123456789012"
MANAGED = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def struct(d):
    s = struct_pb2.Struct()
    json_format.ParseDict(d, s)
    return s


D = json_format.MessageToDict


class Stack:
    """The engine's side of one resource: checked inputs, outputs and id, as the state keeps them."""

    def __init__(self, plugin):
        self.p = plugin
        self.inputs = None
        self.outputs = None
        self.id = None

    def check(self, news, seed=b"seed"):
        r = self.p.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=self.inputs or struct({}), news=struct(news), randomSeed=seed,
            name="api", type=TYPE))
        assert list(r.failures) == [], r.failures
        return r.inputs

    def create(self, news):
        inputs = self.check(news)
        r = self.p.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                          type=TYPE, timeout=300))
        self.inputs, self.outputs, self.id = inputs, r.properties, r.id
        return D(r.properties)

    def diff(self, news_inputs):
        return self.p.stub.Diff(provider_pb2.DiffRequest(
            id=self.id, urn=URN, olds=self.outputs, news=news_inputs, old_inputs=self.inputs,
            name="api", type=TYPE))

    def update(self, news):
        new_inputs = self.check(news)
        d = self.diff(new_inputs)
        r = self.p.stub.Update(provider_pb2.UpdateRequest(
            id=self.id, urn=URN, olds=self.outputs, news=new_inputs, old_inputs=self.inputs,
            name="api", type=TYPE, timeout=300))
        self.inputs, self.outputs = new_inputs, r.properties
        return d, D(r.properties)

    def read(self):
        r = self.p.stub.Read(provider_pb2.ReadRequest(id=self.id, urn=URN, properties=self.outputs,
                                                      inputs=self.inputs, name="api", type=TYPE))
        return r

    def delete(self):
        self.p.stub.Delete(provider_pb2.DeleteRequest(id=self.id, urn=URN,
                                                      properties=self.outputs, name="api",
                                                      type=TYPE, timeout=300))


@pytest.fixture
def plugin(plugin_bin, engine, tmp_path, aws):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws.client_env(REGION))
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "plugin.stderr")
    p.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True,
                                                   acceptResources=True))
    yield p
    p.close()


def everything(aws):
    """Every object of the six services that a stack could leave behind."""
    kms = aws.boto3_client("kms")
    live_keys = [k["KeyId"] for k in kms.list_keys()["Keys"]
                 if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"
                 and kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"]
    return {
        "kms keys": live_keys,
        "kms aliases": [a["AliasName"] for a in kms.list_aliases()["Aliases"]
                        if not a["AliasName"].startswith("alias/aws/")],
        "iam roles": [r["RoleName"] for r in aws.boto3_client("iam").list_roles()["Roles"]],
        "lambda functions": [f["FunctionName"] for f in
                             aws.boto3_client("lambda").list_functions()["Functions"]],
        "log groups": [g["logGroupName"] for g in
                       aws.boto3_client("logs").describe_log_groups()["logGroups"]],
        "rest apis": [a["id"] for a in aws.boto3_client("apigateway").get_rest_apis()["items"]],
    }


def check_stack_in_moto(aws, out, memory=256, retention=7, policy="scoped", stage="prod",
                        tags=None):
    fn, role, lg = out["functionName"], out["roleName"], out["logGroupName"]
    lg_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{lg}"
    # KMS: key, rotation, alias, and the policy as a document
    kms = aws.boto3_client("kms")
    meta = kms.describe_key(KeyId=out["kmsKeyId"])["KeyMetadata"]
    assert meta["Arn"] == out["kmsKeyArn"] and meta["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=out["kmsKeyId"])["KeyRotationEnabled"] is True
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases[out["kmsAliasName"]] == out["kmsKeyId"]
    doc = json.loads(kms.get_key_policy(KeyId=out["kmsKeyId"], PolicyName="default")["Policy"])
    stmts = {s["Sid"]: s for s in doc["Statement"]}
    root = stmts["AccountRootFullAccess"]
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"} and root["Action"] == "kms:*"
    logs = stmts["CloudWatchLogsForThisLogGroup"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert sorted(logs["Action"]) == sorted(["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
                                             "kms:GenerateDataKey*", "kms:Describe*"])
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": lg_arn}}
    # Logs: encrypted with the key's ARN, retention
    groups = aws.boto3_client("logs").describe_log_groups(logGroupNamePrefix=lg)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [lg]
    assert groups[0]["kmsKeyId"] == out["kmsKeyArn"]
    assert groups[0]["retentionInDays"] == retention
    # IAM: trust policy and the execution policy in the chosen mode
    iam = aws.boto3_client("iam")
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(urllib.parse.unquote(trust))
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    inline = iam.list_role_policies(RoleName=role)["PolicyNames"]
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
    if policy == "scoped":
        assert attached == [] and len(inline) == 1
        pol = iam.get_role_policy(RoleName=role, PolicyName=inline[0])["PolicyDocument"]
        if isinstance(pol, str):
            pol = json.loads(urllib.parse.unquote(pol))
        (stmt,) = pol["Statement"]
        assert stmt["Effect"] == "Allow"
        assert sorted(stmt["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert stmt["Resource"] == [lg_arn + ":*"]
    else:
        assert inline == [] and attached == [MANAGED]
    # Lambda: configuration, environment, tags, the invoke permission scoped to this API
    lam = aws.boto3_client("lambda")
    f = lam.get_function(FunctionName=fn)
    cfg = f["Configuration"]
    assert cfg["Runtime"] == "nodejs22.x" and cfg["Handler"] == "index.handler"
    assert cfg["Role"] == out["roleArn"] and cfg["MemorySize"] == memory and cfg["Timeout"] == 30
    env = cfg["Environment"]["Variables"]
    assert env["ENVIRONMENT_SUFFIX"] == out["environmentSuffix"] and env["LOG_LEVEL"] == "INFO"
    expected_tags = {"Name": fn, "Environment": out["environmentSuffix"], "secureapi:stack": fn}
    expected_tags.update(tags or {})
    assert f["Tags"] == expected_tags
    perm = json.loads(lam.get_policy(FunctionName=fn)["Policy"])
    (ps,) = perm["Statement"]
    assert ps["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert ps["Action"] == "lambda:InvokeFunction"
    assert ps["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{out['restApiId']}/*"
    # API Gateway: regional API, {proxy+} ANY and / GET through AWS_PROXY to the function, stage
    ag = aws.boto3_client("apigateway")
    api = ag.get_rest_api(restApiId=out["restApiId"])
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    res = {r["path"]: r for r in ag.get_resources(restApiId=out["restApiId"])["items"]}
    assert set(res) == {"/", "/{proxy+}"}
    fn_uri = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
              f"{out['functionArn']}/invocations")
    for path, method in (("/{proxy+}", "ANY"), ("/", "GET")):
        integ = ag.get_integration(restApiId=out["restApiId"], resourceId=res[path]["id"],
                                   httpMethod=method)
        assert integ["type"] == "AWS_PROXY" and integ["httpMethod"] == "POST"
        assert integ["uri"] == fn_uri
    st = ag.get_stage(restApiId=out["restApiId"], stageName=stage)
    assert st["deploymentId"] == out["deploymentId"]
    assert out["apiUrl"] == f"https://{out['restApiId']}.execute-api.{REGION}.amazonaws.com/{stage}"


def test_lifecycle(plugin, aws):
    s = Stack(plugin)
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


def test_drift_repaired(plugin, aws):
    s = Stack(plugin)
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


def test_import(plugin, aws):
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
