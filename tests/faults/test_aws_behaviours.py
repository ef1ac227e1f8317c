"""AWS behaviours moto does not show, reproduced between the plugin and moto with AWS's own
answers:

- API Gateway's 409 ConflictException "concurrent modification" (status, x-amzn-ErrorType with
  its suffix, and the {"message"} body API Gateway writes) on a write to one REST API: retried,
  and never taken for "already exists";
- paging: every list answer the plugin relies on cut into pages of one item by the paging proxy
  (harness/paging.py; real accounts have more objects than a page), with the plugin's object on
  page 3 or later: a lost answer is recovered (the key, REST API, role and alias found, not made
  twice), import finds every piece, and refresh sees the stack's own role policies and tags.

The paging chain is plugin -> fault proxy -> validating proxy -> paging proxy -> moto, so the
plugin's own requests, page tokens included, are checked against the botocore models."""
from __future__ import annotations

import json
import uuid

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.aws_validator import ValidatingProxy
from harness.fault_proxy import Fault, FaultProxy
from harness.http_proxy import Reply
from harness.paging import PagingProxy
from harness.resource import TYPE, URN, Stack
from harness.stack_checks import MANAGED, REGION, check_stack_in_moto

D = json_format.MessageToDict

CONFLICT = "Unable to complete operation due to concurrent modification. Please try again later."


def apigw_conflict() -> Reply:
    """API Gateway's answer to a write that raced another on the same REST API."""
    return Reply(409, [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType",
         "ConflictException:http://internal.amazon.com/coral/com.amazonaws.backplane.controlplane/"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ], json.dumps({"message": CONFLICT}).encode(), "Conflict")


# the writes to one REST API that a stack makes, as the fault proxy matches them
API_WRITES = {
    "CreateResource": r"POST /restapis/[^/]+/resources/[^/]+",
    "PutMethod": r"PUT /restapis/[^/]+/resources/[^/]+/methods/[^/]+",
    "PutIntegration": r"PUT /restapis/[^/]+/resources/[^/]+/methods/[^/]+/integration",
    "CreateDeployment": r"POST /restapis/[^/]+/deployments",
}


@pytest.mark.parametrize("write", API_WRITES)
def test_concurrent_modification_is_retried(plugin, proxy, aws, write):
    fault = proxy.inject(Fault(API_WRITES[write], reply=apigw_conflict(), times=2))
    out = Stack(plugin).create({"environmentSuffix": "cm"})
    assert fault.hits == 2, f"{write} never got the conflict"
    # retried until it went through: the whole stack is there (a conflict taken for "already
    # exists" leaves the resource, method, integration or deployment missing)
    check_stack_in_moto(aws, out)
    assert sum(1 for op in proxy.calls if op.startswith(API_WRITES[write].split(" ")[0])) >= 3


# ---- paging -------------------------------------------------------------------------------------
@pytest.fixture
def paged(aws, configured_plugin):
    """(plugin, fault proxy, paging proxy): every list answer in pages of one item."""
    pager = PagingProxy(aws.direct_url, page_size=1)
    validator = ValidatingProxy(pager.url)
    faults = FaultProxy(validator.url)
    plugin = configured_plugin({**aws.client_env(REGION), "AWS_ENDPOINT_URL": faults.url})
    yield plugin, faults, pager
    faults.stop()
    validator.stop()
    pager.stop()


def decoy_apis(aws, n=3):
    """REST APIs of other stacks, made first: GetRestApis lists ours after them."""
    ag = aws.boto3_client("apigateway")
    return [ag.create_rest_api(name=f"other-service-{i}")["id"] for i in range(n)]


def retired_keys(aws, fn: str, n=2):
    """Keys an earlier run of the stack retired: tagged as its own, pending deletion, made first
    so the Tagging API lists them before the stack's key."""
    kms = aws.boto3_client("kms")
    for _ in range(n):
        k = kms.create_key(Tags=[{"TagKey": "secureapi:stack", "TagValue": fn}])["KeyMetadata"]
        kms.schedule_key_deletion(KeyId=k["KeyId"], PendingWindowInDays=7)


def names(stack: Stack, suffix: str) -> dict:
    return D(stack.check({"environmentSuffix": suffix}))["__names"]


def test_lost_answers_are_found_on_page_three(paged, aws):
    plugin, faults, pager = paged
    s = Stack(plugin)
    n = names(s, "pg")
    fn = n["functionName"]
    decoy_apis(aws)
    retired_keys(aws, fn)
    kms = aws.boto3_client("kms")
    # other aliases, listed before ours
    for i in range(2):
        k = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/aaa-other-{i}", TargetKeyId=k)
    # moto did the work, the answer never came: the plugin must find what it made
    lost = [faults.inject(Fault(op, lose_answer=True, times=1))
            for op in ("CreateKey", "POST /restapis", "CreateRole", "CreateAlias")]
    out = s.create({"environmentSuffix": "pg"})
    assert [f.hits for f in lost] == [1, 1, 1, 1]
    check_stack_in_moto(aws, out)
    # nothing made twice
    ag = aws.boto3_client("apigateway")
    name = ag.get_rest_api(restApiId=out["restApiId"])["name"]
    assert [a["id"] for a in ag.get_rest_apis()["items"] if a["name"] == name] == [out["restApiId"]]
    ours = [t["ResourceARN"] for t in aws.boto3_client("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "secureapi:stack", "Values": [fn]}],
        ResourceTypeFilters=["kms:key"])["ResourceTagMappingList"]]
    usable = [a for a in ours
              if kms.describe_key(KeyId=a)["KeyMetadata"]["KeyState"] == "Enabled"]
    assert usable == [out["kmsKeyArn"]]
    for op in ("apigateway GetRestApis", "tagging GetResources", "kms ListAliases",
               "iam ListRoleTags"):
        assert pager.pages[op] >= 3, (op, dict(pager.pages))
    s.delete()


def test_import_and_refresh_read_every_page(paged, aws):
    plugin, faults, pager = paged
    decoy_apis(aws)
    s = Stack(plugin)
    retired_keys(aws, names(s, "imp")["functionName"])
    out = s.create({"environmentSuffix": "imp", "tags": {"team": "pages", "cost": "x"}})
    # someone edits the role: two inline policies of their own, ours put back after them
    iam = aws.boto3_client("iam")
    role = out["roleName"]
    (ours,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    doc = iam.get_role_policy(RoleName=role, PolicyName=ours)["PolicyDocument"]
    iam.delete_role_policy(RoleName=role, PolicyName=ours)
    for i in range(2):
        iam.put_role_policy(RoleName=role, PolicyName=f"extra-{i}", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    iam.put_role_policy(RoleName=role, PolicyName=ours,
                        PolicyDocument=doc if isinstance(doc, str) else json.dumps(doc))
    pager.pages.clear()
    # refresh: the stack's own policy and tags are found, so nothing drifted
    before = D(s.outputs)
    assert s.refresh() == before
    assert pager.pages["iam ListRolePolicies"] >= 3, pager.pages
    # import by <region>/<function name>: every piece found across the pages
    pager.pages.clear()
    r = plugin.stub.Read(provider_pb2.ReadRequest(id=f"{REGION}/{out['functionName']}", urn=URN,
                                                  name="api", type=TYPE))
    got = D(r.properties)
    for k in ("kmsKeyId", "kmsAliasName", "roleArn", "logGroupName", "functionArn", "restApiId",
              "deploymentId", "apiUrl"):
        assert got[k] == out[k], k
    assert D(r.inputs)["tags"] == {"team": "pages", "cost": "x"}
    assert pager.pages["apigateway GetRestApis"] >= 3, pager.pages
    for i in range(2):
        iam.delete_role_policy(RoleName=role, PolicyName=f"extra-{i}")
    s.delete()


def test_refresh_finds_the_managed_policy_on_page_three(paged, aws):
    plugin, faults, pager = paged
    s = Stack(plugin)
    out = s.create({"environmentSuffix": "mgd", "executionPolicy": "managed"})
    iam = aws.boto3_client("iam")
    role = out["roleName"]
    iam.detach_role_policy(RoleName=role, PolicyArn=MANAGED)
    extra = ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
             "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy"]
    for arn in extra:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=MANAGED)
    pager.pages.clear()
    before = D(s.outputs)
    assert s.refresh() == before
    assert pager.pages["iam ListAttachedRolePolicies"] >= 3, pager.pages
    for arn in extra:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    s.delete()
