"""The IAM policy enforcer itself (harness/iam_policy.py, harness/iam_enforcer.py), without the
plugin: policy evaluation (what the policy lacks is denied, what it has is allowed, a Deny beats
an Allow, wildcards and the condition operators the deployer policy uses), the deployer policy's
decisions on requests it must allow and requests it must refuse, the KMS key policy lockout
check, AWS's refusal answers in each protocol as botocore parses them, faithful forwarding, the
GetFunction Tags rewrite, and the table against the operations the plugin's source calls."""
from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.iam_enforcer import (ACTIONS, LOCKOUT_MESSAGE, Enforcer, EnforcerProxy,
                                  Request, identify, policy_actions, without)
from harness.iam_policy import dict_context, evaluate
from harness.loopback import LoopbackServer

from .world import deployer_policy

REPO = Path(__file__).resolve().parents[2]
REGION = "ap-southeast-1"
ACCOUNT = "123456789012"
KEY = "AKIADEPLOYER0000TEST"
SECRET = "deployer-secret-not-real"


def ctx():
    return dict_context({})  # a request context with no condition keys


# ---- evaluation --------------------------------------------------------------------------------

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:Create*", "logs:PutRetentionPolicy"],
     "Resource": "arn:aws:logs:*:123456789012:log-group:/aws/lambda/api-*-???????:*"},
    {"Sid": "Keys", "Effect": "Allow", "Action": "kms:ScheduleKeyDeletion",
     "Resource": "arn:aws:kms:*:123456789012:key/*",
     "Condition": {"StringLike": {"aws:ResourceTag/secureapi:stack": "api-*"}}},
    {"Sid": "NoProdLogs", "Effect": "Deny", "Action": "logs:*",
     "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/api-prod-*"},
    {"Sid": "NotIam", "Effect": "Allow", "NotAction": ["iam:*", "kms:*", "logs:*"],
     "Resource": "*"},
    {"Sid": "KeepOwnerTag", "Effect": "Deny", "Action": "lambda:UntagResource", "Resource": "*",
     "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["secureapi:stack"]}}},
]}
LG = "arn:aws:logs:ap-southeast-1:123456789012:log-group:/aws/lambda/{}:*"


def test_allows_what_the_policy_has_and_denies_what_it_lacks():
    ok = evaluate(POLICY, "logs:CreateLogGroup", LG.format("api-dev-1a2b3c4"), ctx())
    assert ok.effect == "Allow" and ok.sid == "Logs"
    assert evaluate(POLICY, "LOGS:createloggroup", LG.format("api-dev-1a2b3c4"), ctx()).allowed
    # an action the policy lacks, a resource outside the pattern, a hash of the wrong length
    assert evaluate(POLICY, "logs:DeleteLogGroup", LG.format("api-dev-1a2b3c4"),
                    ctx()).effect == "ImplicitDeny"
    assert evaluate(POLICY, "logs:CreateLogGroup", LG.format("web-dev-1a2b3c4"),
                    ctx()).effect == "ImplicitDeny"
    assert evaluate(POLICY, "logs:CreateLogGroup", LG.format("api-dev-1a2b3c"),
                    ctx()).effect == "ImplicitDeny"
    # the account part of an ARN is matched on its own: * there does not eat colons
    assert not evaluate(POLICY, "logs:CreateLogGroup",
                        "arn:aws:logs:ap-southeast-1:999:123456789012:log-group:/aws/lambda/"
                        "api-dev-1a2b3c4:*", ctx()).allowed
    # NotAction: everything but IAM, KMS and Logs
    assert evaluate(POLICY, "s3:GetObject", "arn:aws:s3:::b/k", ctx()).allowed
    assert not evaluate(POLICY, "iam:CreateRole", "arn:aws:iam::123456789012:role/r",
                        ctx()).allowed


def test_an_explicit_deny_beats_an_allow():
    d = evaluate(POLICY, "logs:CreateLogGroup", LG.format("api-prod-1a2b3c4"), ctx())
    assert d.effect == "ExplicitDeny" and d.sid == "NoProdLogs"
    fn = "arn:aws:lambda:ap-southeast-1:123456789012:function:f"
    assert evaluate(POLICY, "lambda:UntagResource", fn,
                    dict_context({"aws:TagKeys": ["team"]})).allowed
    d = evaluate(POLICY, "lambda:UntagResource", fn,
                 dict_context({"aws:TagKeys": ["team", "secureapi:stack"]}))
    assert d.effect == "ExplicitDeny" and d.sid == "KeepOwnerTag"
    # ForAnyValue with no tag keys at all: the Deny does not apply
    assert evaluate(POLICY, "lambda:UntagResource", fn, dict_context({})).allowed


def test_resource_tag_conditions_are_looked_up_lazily():
    key = "arn:aws:kms:ap-southeast-1:123456789012:key/k1"
    asked = []

    def tags(name):
        asked.append(name)
        return {"aws:ResourceTag/secureapi:stack": ["api-dev-1a2b3c4"]}.get(name)
    assert evaluate(POLICY, "kms:ScheduleKeyDeletion", key, dict_context({}, tags)).allowed
    assert asked == ["aws:ResourceTag/secureapi:stack"]
    assert not evaluate(POLICY, "kms:ScheduleKeyDeletion", key, dict_context({})).allowed
    other = dict_context({"aws:ResourceTag/secureapi:stack": "web-dev-1a2b3c4"})
    assert not evaluate(POLICY, "kms:ScheduleKeyDeletion", key, other).allowed


def test_condition_operators():
    def holds(op, key, wanted, values):
        p = {"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*",
                            "Condition": {op: {key: wanted}}}]}
        return evaluate(p, "a:b", "*", dict_context({} if values is None else
                                                      {key: values})).allowed
    assert holds("StringEquals", "k", "v", "v") and not holds("StringEquals", "k", "v", "V")
    assert not holds("StringEquals", "k", "v", None)
    assert holds("StringNotEquals", "k", "v", None) and not holds("StringNotEquals", "k", "v", "v")
    assert holds("StringEqualsIfExists", "k", "v", None)
    assert holds("StringLike", "k", ["x", "a?c*"], "abcde") and not holds("StringLike", "k",
                                                                         "a?c", "ac")
    assert holds("ArnLike", "k", "arn:aws:iam::aws:policy/*", "arn:aws:iam::aws:policy/a/b")
    assert not holds("ArnLike", "k", "arn:aws:iam::aws:policy/x", "arn:aws:iam::aws:policy/y")
    assert holds("Null", "k", "true", None) and holds("Null", "k", "false", "v")
    assert holds("ForAllValues:StringEquals", "k", ["a", "b"], ["a"])
    assert not holds("ForAllValues:StringEquals", "k", ["a"], ["a", "c"])
    assert holds("ForAllValues:StringEquals", "k", ["a"], None)
    assert not holds("ForAnyValue:StringEquals", "k", ["a"], None)
    # keys are case-insensitive
    p = {"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*",
                        "Condition": {"StringEquals": {"IAM:PassedToService": "x"}}}]}
    assert evaluate(p, "a:b", "*", dict_context({"iam:passedtoservice": "x"})).allowed


# ---- the deployer policy ---------------------------------------------------------------------------

ROLE = "arn:aws:iam::123456789012:role/api-dev-role-1a2b3c4"
FN = "arn:aws:lambda:ap-southeast-1:123456789012:function:api-dev-1a2b3c4"
OWNED = {"aws:RequestTag/secureapi:stack": "api-dev-1a2b3c4", "aws:TagKeys": ["secureapi:stack"]}


@pytest.mark.parametrize("action,resource,context,allowed", [
    ("kms:CreateKey", "*", dict(OWNED, **{"kms:KeySpec": "SYMMETRIC_DEFAULT",
                                          "kms:KeyUsage": "ENCRYPT_DECRYPT"}), True),
    ("kms:CreateKey", "*", {"kms:KeySpec": "SYMMETRIC_DEFAULT",
                            "kms:KeyUsage": "ENCRYPT_DECRYPT"}, False),        # untagged
    ("kms:CreateKey", "*", dict(OWNED, **{"kms:KeySpec": "RSA_4096",
                                          "kms:KeyUsage": "SIGN_VERIFY"}), False),
    ("kms:ScheduleKeyDeletion", "arn:aws:kms:ap-southeast-1:123456789012:key/k",
     {"aws:ResourceTag/secureapi:stack": "api-dev-1a2b3c4"}, True),
    ("kms:ScheduleKeyDeletion", "arn:aws:kms:ap-southeast-1:123456789012:key/k", {}, False),
    ("kms:ScheduleKeyDeletion", "arn:aws:kms:eu-west-1:123456789012:key/k",
     {"aws:ResourceTag/secureapi:stack": "api-dev-1a2b3c4"}, False),           # other region
    ("kms:CreateAlias", "arn:aws:kms:ap-southeast-1:123456789012:alias/api-dev-logs-key-1a2b3c4",
     {}, True),
    ("kms:CreateAlias", "arn:aws:kms:ap-southeast-1:123456789012:alias/aws/s3", {}, False),
    ("iam:CreateRole", ROLE, {}, True),
    ("iam:CreateRole", "arn:aws:iam::123456789012:role/admin", {}, False),
    ("iam:PassRole", ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}, True),
    ("iam:PassRole", ROLE, {"iam:PassedToService": "ec2.amazonaws.com"}, False),
    ("iam:AttachRolePolicy", ROLE, {"iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/"
                                                     "AWSLambdaBasicExecutionRole"}, True),
    ("iam:AttachRolePolicy", ROLE, {"iam:PolicyARN": "arn:aws:iam::aws:policy/"
                                                     "AdministratorAccess"}, False),
    ("lambda:AddPermission", FN, {"lambda:Principal": "apigateway.amazonaws.com"}, True),
    ("lambda:AddPermission", FN, {"lambda:Principal": "*"}, False),
    ("lambda:UntagResource", FN, {"aws:TagKeys": ["team"]}, True),
    ("lambda:UntagResource", FN, {"aws:TagKeys": ["team", "secureapi:stack"]}, False),
    ("lambda:InvokeFunction", FN, {}, False),
    ("apigateway:PUT", "arn:aws:apigateway:ap-southeast-1::/restapis/a1/resources/r/methods/GET",
     {}, True),
    ("apigateway:PUT", "arn:aws:apigateway:ap-southeast-1::/restapis/a1", {}, False),  # PutRestApi
    ("apigateway:PATCH", "arn:aws:apigateway:ap-southeast-1::/restapis/a1", {}, False),
    ("apigateway:DELETE", "arn:aws:apigateway:ap-southeast-1::/restapis/a1",
     {"aws:ResourceTag/secureapi:stack": "api-dev-1a2b3c4"}, True),
    ("apigateway:DELETE", "arn:aws:apigateway:ap-southeast-1::/restapis/a1", {}, False),
    ("logs:DeleteLogGroup", LG.format("api-dev-1a2b3c4"), {}, True),
    ("logs:DeleteLogGroup", LG.format("payments-1a2b3c4"), {}, False),
    ("tag:GetResources", "*", {}, True),
])
def test_deployer_policy_decisions(action, resource, context, allowed):
    assert evaluate(deployer_policy("api"), action, resource,
                    dict_context(context)).allowed is allowed


def test_without_removes_one_action_of_one_statement():
    p = deployer_policy("api")
    pairs = policy_actions(p)
    assert ("KmsSetUpNewKeys", "kms:CreateAlias") in pairs
    assert ("KmsOwnAliases", "kms:CreateAlias") in pairs
    q = without(p, "KmsOwnAliases", "kms:CreateAlias")
    assert len(policy_actions(q)) == len(pairs) - 1
    assert ("KmsSetUpNewKeys", "kms:CreateAlias") in policy_actions(q)
    q = without(p, "KmsListAliases", "kms:ListAliases")
    assert "KmsListAliases" not in [s.get("Sid") for s in q["Statement"]]
    # IAM's quotas: a customer managed policy holds 6,144 characters (whitespace not counted)
    text = json.dumps(deployer_policy("secure-api-stack"))
    assert len(re.sub(r"\s", "", text)) <= 6144
    assert all(re.fullmatch(r"[A-Za-z0-9]+", s["Sid"]) for s in p["Statement"])


# ---- the KMS key policy lockout check --------------------------------------------------------------

ROOT_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
     "Action": "kms:*", "Resource": "*"}]})


def create_key(policy_text=ROOT_POLICY, tags=(("secureapi:stack", "api-dev-1a2b3c4"),),
               bypass=False):
    body = {"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "Policy": policy_text,
            "Tags": [{"TagKey": k, "TagValue": v} for k, v in tags]}
    if bypass:
        body["BypassPolicyLockoutSafetyCheck"] = True
    return Request(service="kms", region=REGION, method="POST", path="/", query={},
                   headers={"x-amz-target": "TrentService.CreateKey"},
                   body=json.dumps(body).encode())


def test_kms_lockout_check():
    full = Enforcer(deployer_policy("api"), {KEY: "deployer"})
    op = identify(create_key(), full)
    assert [c.action for c in op.checks] == ["kms:CreateKey", "kms:TagResource",
                                             "kms:PutKeyPolicy"]
    assert full.authorize(op, "deployer")[0] is None
    # the key policy delegates to IAM (the account root), and IAM does not allow PutKeyPolicy
    lacking = Enforcer(without(deployer_policy("api"), "KmsKeyPolicyLockoutCheck",
                               "kms:PutKeyPolicy"), {KEY: "deployer"})
    refused, _ = lacking.authorize(op, "deployer")
    assert refused.decision == "Lockout" and refused.action == "kms:PutKeyPolicy"
    # a key policy that names the caller passes without IAM; one naming nobody never does
    named = json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:PutKeyPolicy",
                                       "Resource": "*", "Principal": {
                                           "AWS": "arn:aws:iam::123456789012:user/deployer"}}]})
    assert lacking.authorize(identify(create_key(named), lacking), "deployer")[0] is None
    nobody = json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt",
                                        "Resource": "*", "Principal": {
                                            "AWS": "arn:aws:iam::123456789012:root"}}]})
    assert full.authorize(identify(create_key(nobody), full), "deployer")[0].decision == "Lockout"
    # the check can be skipped (with permission for it, which the policy does not give)
    op = identify(create_key(bypass=True), lacking)
    assert [c.action for c in op.checks] == ["kms:CreateKey", "kms:TagResource"]


# ---- over HTTP: answers as botocore parses them, forwarding, rewriting -------------------------------


class Upstream(LoopbackServer):
    """A stand-in for moto: records what reaches it, answers 200 with a fixed body."""

    def __init__(self):
        self.seen = []
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                outer.seen.append((self.command, self.path, dict(self.headers), body))
                if self.path.startswith("/2015-03-31/functions/"):
                    out = json.dumps({"Configuration": {"FunctionArn": FN},
                                      "Tags": {"secureapi:stack": "api-dev-1a2b3c4"}}).encode()
                    ctype = "application/json"
                elif b"Action=GetCallerIdentity" in body:
                    out = (b"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
                           b"123456789012</Account><Arn>arn:aws:iam::123456789012:user/deployer"
                           b"</Arn><UserId>U</UserId></GetCallerIdentityResult>"
                           b"</GetCallerIdentityResponse>")
                    ctype = "text/xml"
                else:
                    out, ctype = b"{}", "application/json"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *a):
                pass

        super().__init__(H)


@pytest.fixture
def http_enforcer():
    up = Upstream()
    e = Enforcer(deployer_policy("api"), {KEY: "deployer"})
    proxy = EnforcerProxy(up.url, e)

    def client(service):
        return boto3.client(service, region_name=REGION, endpoint_url=proxy.url,
                            aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    e.proxy_url = proxy.url
    yield e, up, client
    proxy.stop()
    up.stop()


def refused(call, code, status):
    with pytest.raises(ClientError) as ei:
        call()
    err = ei.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    return err["Error"]["Message"]


USER = "User: arn:aws:iam::123456789012:user/deployer is not authorized to perform:"


def test_refusals_in_each_protocol(http_enforcer):
    e, up, client = http_enforcer
    e.set_policy({"Version": "2012-10-17", "Statement": []})
    msg = refused(lambda: client("kms").create_key(Tags=[{"TagKey": "secureapi:stack",
                                                          "TagValue": "api-x-1a2b3c4"}]),
                  "AccessDeniedException", 400)
    assert msg == f"{USER} kms:CreateKey because no identity-based policy allows the " \
                  "kms:CreateKey action"
    msg = refused(lambda: client("logs").create_log_group(logGroupName="/aws/lambda/api-x"),
                  "AccessDeniedException", 400)
    assert msg.startswith(f"{USER} logs:CreateLogGroup on resource: arn:aws:logs:{REGION}:"
                          f"{ACCOUNT}:log-group:/aws/lambda/api-x:* because")
    refused(lambda: client("resourcegroupstaggingapi").get_resources(), "AccessDeniedException",
            400)
    msg = refused(lambda: client("iam").get_role(RoleName="api-dev-role-1a2b3c4"),
                  "AccessDenied", 403)
    assert msg.startswith(f"{USER} iam:GetRole on resource: {ROLE} because")
    msg = refused(lambda: client("lambda").get_function(FunctionName="api-dev-1a2b3c4"),
                  "AccessDeniedException", 403)
    assert msg.startswith(f"{USER} lambda:GetFunction on resource: {FN} because")
    msg = refused(lambda: client("apigateway").get_rest_apis(), "AccessDeniedException", 403)
    assert msg.startswith(f"{USER} apigateway:GET on resource: arn:aws:apigateway:{REGION}::"
                          "/restapis because")
    # an explicit deny says so
    e.set_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                                {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})
    msg = refused(lambda: client("iam").get_role(RoleName="r"), "AccessDenied", 403)
    assert msg.endswith("with an explicit deny in an identity-based policy")
    # STS GetCallerIdentity needs no permission, even under a Deny of everything
    e.set_policy({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    assert client("sts").get_caller_identity()["Account"] == ACCOUNT
    assert not [r for r in up.seen if b"CreateKey" in r[3]]  # nothing refused reached moto


def test_lockout_answer_and_forwarding(http_enforcer):
    e, up, client = http_enforcer
    e.set_policy(without(deployer_policy("api"), "KmsKeyPolicyLockoutCheck", "kms:PutKeyPolicy"))
    tags = [{"TagKey": "secureapi:stack", "TagValue": "api-dev-1a2b3c4"}]
    msg = refused(lambda: client("kms").create_key(Policy=ROOT_POLICY, Tags=tags),
                  "MalformedPolicyDocumentException", 400)
    assert msg == LOCKOUT_MESSAGE
    assert [r.decision for r in e.denials] == ["Lockout"]
    # allowed: the request reaches the upstream as it was sent (signature headers, body, Host)
    e.set_policy(deployer_policy("api"))
    client("kms").create_key(Policy=ROOT_POLICY, Tags=tags)
    method, path, headers, body = up.seen[-1]
    assert (method, path) == ("POST", "/")
    assert headers["X-Amz-Target"] == "TrentService.CreateKey"
    assert headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={KEY}/")
    assert headers["Host"] == e.proxy_url.split("//")[1]  # as signed: not rewritten
    assert json.loads(body)["Policy"] == ROOT_POLICY


def test_get_function_tags_need_list_tags(http_enforcer):
    e, up, client = http_enforcer
    lam = client("lambda")
    assert lam.get_function(FunctionName="api-dev-1a2b3c4")["Tags"] == {
        "secureapi:stack": "api-dev-1a2b3c4"}
    e.set_policy(without(deployer_policy("api"), "LambdaOwnFunctions", "lambda:ListTags"))
    r = lam.get_function(FunctionName="api-dev-1a2b3c4")
    assert "Tags" not in r
    assert r["TagsError"]["ErrorCode"] == "AccessDeniedException"
    assert "lambda:ListTags" in r["TagsError"]["Message"]


# ---- the table against the plugin's source ----------------------------------------------------------

def test_table_covers_every_operation_the_plugin_calls():
    src = "\n".join(p.read_text() for p in sorted((REPO / "provider" / "stack").glob("*.c")))
    called = set(re.findall(r'(?:\.op|_op) = "([A-Za-z]+)"', src))
    called |= set(re.findall(r'(?:role_call|role_call_conflict|group_json)\(s, in, "([A-Za-z]+)"', src))
    for pair in re.findall(r'\?\s*"([A-Z][A-Za-z]+)"\s*:\s*"([A-Z][A-Za-z]+)"', src):
        called |= set(pair)  # in->rotation ? "EnableKeyRotation" : "DisableKeyRotation"
    in_table = {k.split(" ", 1)[1] for k in ACTIONS}
    assert called - in_table == set(), called - in_table
    # everything in the table is called, but ListTags: GetFunction's Tags need lambda:ListTags
    assert in_table - called == {"ListTags"}, in_table - called


def test_an_operation_outside_the_table_is_refused(http_enforcer):
    e, up, client = http_enforcer
    e.set_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    msg = refused(lambda: client("kms").list_keys(), "AccessDeniedException", 400)
    assert "kms:TrentService.ListKeys (not in the enforcer's table)" in msg
    assert e.denials[-1].decision == "Unknown"
    refused(lambda: client("lambda").list_functions(), "AccessDeniedException", 403)
    assert not up.seen
