"""A stack outside the aws partition, as AWS documents it: in aws-cn (cn-north-1) and aws-us-gov
(us-gov-west-1) every ARN the plugin writes or reads names that partition (the key policy's root
principal and log group condition, the invoke permission's source, the integration's function
URI), CloudWatch Logs' service principal in the key policy has the partition's DNS suffix
(logs.cn-north-1.amazonaws.com.cn), and the API's URL is on the partition's domain. moto serves
each region with its partition's ARNs, as AWS does; the unit test tests/unit/aws/test_partition.c
checks the table itself."""
import json

import pytest

from harness.resource import Stack
from harness.stack_checks import ACCOUNT

# region -> (partition, DNS suffix): botocore's endpoints.json
PARTITIONS = {"cn-north-1": ("aws-cn", "amazonaws.com.cn"),
              "us-gov-west-1": ("aws-us-gov", "amazonaws.com")}


@pytest.mark.parametrize("region", PARTITIONS)
def test_stack_in_another_partition(configured_plugin, aws, region):
    partition, dns = PARTITIONS[region]
    plugin = configured_plugin(aws.client_env(region))
    s = Stack(plugin)
    out = s.create({"environmentSuffix": "part", "region": region})
    fn, lg = out["functionName"], out["logGroupName"]
    lg_arn = f"arn:{partition}:logs:{region}:{ACCOUNT}:log-group:{lg}"
    assert out["logGroupArn"] == lg_arn
    assert out["kmsKeyArn"] == f"arn:{partition}:kms:{region}:{ACCOUNT}:key/{out['kmsKeyId']}"
    assert out["roleArn"] == f"arn:{partition}:iam::{ACCOUNT}:role/{out['roleName']}"
    assert out["functionArn"] == f"arn:{partition}:lambda:{region}:{ACCOUNT}:function:{fn}"
    assert out["apiUrl"] == f"https://{out['restApiId']}.execute-api.{region}.{dns}/prod"

    kms = aws.boto3_client("kms", region)
    doc = json.loads(kms.get_key_policy(KeyId=out["kmsKeyId"], PolicyName="default")["Policy"])
    stmts = {st["Sid"]: st for st in doc["Statement"]}
    assert stmts["AccountRootFullAccess"]["Principal"] == {
        "AWS": f"arn:{partition}:iam::{ACCOUNT}:root"}
    logs = stmts["CloudWatchLogsForThisLogGroup"]
    assert logs["Principal"] == {"Service": f"logs.{region}.{dns}"}
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": lg_arn}}
    (group,) = aws.boto3_client("logs", region).describe_log_groups(
        logGroupNamePrefix=lg)["logGroups"]
    assert group["kmsKeyId"] == out["kmsKeyArn"]

    iam = aws.boto3_client("iam", region)
    (name,) = iam.list_role_policies(RoleName=out["roleName"])["PolicyNames"]
    pol = iam.get_role_policy(RoleName=out["roleName"], PolicyName=name)["PolicyDocument"]
    pol = json.loads(pol) if isinstance(pol, str) else pol
    assert pol["Statement"][0]["Resource"] == [lg_arn + ":*"]

    lam = aws.boto3_client("lambda", region)
    (perm,) = json.loads(lam.get_policy(FunctionName=fn)["Policy"])["Statement"]
    assert perm["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        f"arn:{partition}:execute-api:{region}:{ACCOUNT}:{out['restApiId']}/*"
    ag = aws.boto3_client("apigateway", region)
    res = {r["path"]: r["id"] for r in ag.get_resources(restApiId=out["restApiId"])["items"]}
    integ = ag.get_integration(restApiId=out["restApiId"], resourceId=res["/{proxy+}"],
                               httpMethod="ANY")
    assert integ["uri"] == (f"arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/"
                            f"functions/{out['functionArn']}/invocations")
    s.delete()
    assert lam.list_functions()["Functions"] == []
