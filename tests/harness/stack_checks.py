"""Assertions on what a SecureApiStack left in moto, shared by the rpc and e2e suites: every
sub-resource checked through boto3 with policy documents parsed, and the list of everything a
stack could leave behind in the six services."""
import json
import urllib.parse

REGION = "ap-southeast-1"
ACCOUNT = "123456789012"
MANAGED = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


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
    assert cfg["Role"] == out["roleArn"] and cfg["MemorySize"] == memory and cfg["Timeout"] == 29
    env = cfg["Environment"]["Variables"]
    assert env["ENVIRONMENT_SUFFIX"] == out["environmentSuffix"] and env["LOG_LEVEL"] == "INFO"
    expected_tags = {"Name": fn, "Environment": out["environmentSuffix"], "secureapi:stack": fn}
    expected_tags.update(tags or {})
    assert f["Tags"] == expected_tags
    # the same user tags (added and removed) on the key, the log group and the role
    def user_tags(pairs):
        return {k: v for k, v in pairs.items() if k not in ("Name", "Environment", "secureapi:stack")}
    kms_tags = {t["TagKey"]: t["TagValue"] for t in
                aws.boto3_client("kms").list_resource_tags(KeyId=out["kmsKeyId"])["Tags"]}
    lg_tags = aws.boto3_client("logs").list_tags_log_group(logGroupName=lg)["tags"]
    role_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
    for where, got in (("kms key", kms_tags), ("log group", lg_tags), ("role", role_tags)):
        assert user_tags(got) == (tags or {}), (where, got)
        assert got["secureapi:stack"] == fn, (where, got)
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
