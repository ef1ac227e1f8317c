"""An IAM policy enforcer: a loopback HTTP proxy between the plugin and moto that authorizes each
request of the deployer the way AWS would authorize it against one identity-based policy (the
deployer policy of docs/deployer-policy.json), and answers a refusal exactly as the service's
protocol answers it.

Why a proxy, and the split of work with moto
--------------------------------------------
moto (5.2.5) can enforce IAM policies itself once its authentication is on, but it checks
`{SigV4 service}:{botocore operation}` (`apigateway:CreateRestApi`, `tagging:GetResources`: not
the real action names), always against Resource "*", ignores conditions and never asks for
iam:PassRole, so it cannot evaluate the real policy. So the work is split:

- moto's authentication stays ON (`MotoServer.set_auth("0")`): moto checks every request's SigV4
  signature (botocore's implementation, independent of ours) and that the access key belongs to
  an IAM user that exists in moto. That user holds an allow-all moto policy, so moto's own,
  approximate policy check always passes.
- this enforcer applies the real policy: it identifies each request's operation (X-Amz-Target
  for JSON 1.1, `Action=` for Query, method and path for REST-JSON), maps it through ACTIONS (the
  Service Authorization Reference's actions, resources and condition keys of exactly the
  operations the plugin calls) to the IAM checks AWS makes, evaluates the policy
  (harness/iam_policy.py) and either forwards the request untouched or answers AccessDenied.

Only requests signed with a principal's access key (`principals`) are checked; anything else
(the harness's own calls, unsigned requests) passes through. Requests go upstream unchanged
(method, path, headers, including Host, so moto verifies the plugin's signature; body), each
client connection gets its own upstream connection, kept alive, and TCP_NODELAY is set both ways.

Beyond the action itself, the table models the extra checks AWS makes inside one operation:
kms:TagResource for CreateKey with Tags (and the key policy lockout safety check, see
`_kms_lockout`), iam:TagRole for CreateRole with Tags, logs:TagResource or logs:TagLogGroup for
CreateLogGroup with tags, iam:PassRole (iam:PassedToService lambda.amazonaws.com) and
lambda:TagResource for CreateFunction, iam:PassRole for UpdateFunctionConfiguration with a Role,
the alias and the key(s) for the KMS alias operations; and one answer rewrite: GetFunction
returns the function's Tags only when lambda:ListTags is allowed, else a TagsError.

Condition context: aws:RequestTag/<key> and aws:TagKeys from the request's tags; aws:ResourceTag/
<key> looked up in moto (with the harness's admin keys, straight to moto) for KMS keys and API
Gateway REST APIs and stages (a stage inherits its API's tags, as API Gateway's ABAC does) -- for
other resources it is absent; kms:KeySpec, kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion,
kms:BypassPolicyLockoutSafetyCheck for CreateKey; iam:PolicyARN for Attach/DetachRolePolicy;
iam:PassedToService and iam:AssociatedResourceArn for PassRole; lambda:Principal for
AddPermission. STS GetCallerIdentity needs no permission (as in AWS) and is always allowed.

Approximations (see tests/README.md): tag changes take effect at once (KMS documents up to five
minutes); a missing resource has no tags; CloudWatch Logs operations that name a log group are
checked against `log-group:<name>:*`, the resourceArn ones against the ARN given; the lockout
check evaluates kms:PutKeyPolicy with CreateKey's own request context.
"""
from __future__ import annotations

import json
import re
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Callable

from harness.http_proxy import ForwardingProxy, Reply
from harness.http_proxy import Request as WireRequest
from harness.iam_policy import Decision, dict_context, evaluate, wildcard

ACCOUNT = "123456789012"
PARTITION = "aws"

# ---- the request ------------------------------------------------------------------------------


@dataclass
class Request:
    service: str     # the SigV4 signing name: kms, logs, tagging, iam, sts, lambda, apigateway
    region: str
    method: str
    path: str                    # decoded, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    access_key: str = ""

    @property
    def json(self) -> dict:
        if not hasattr(self, "_json"):
            try:
                self._json = json.loads(self.body) if self.body else {}
            except ValueError:
                self._json = {}
        return self._json

    @property
    def form(self) -> dict[str, str]:
        if not hasattr(self, "_form"):
            self._form = {k: v[0] for k, v in urllib.parse.parse_qs(
                self.body.decode(errors="replace"), keep_blank_values=True).items()}
        return self._form


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def parse_authorization(value: str) -> tuple[str, str, str] | None:
    """(access key, region, service) of a SigV4 Authorization header."""
    m = _CREDENTIAL.search(value or "")
    return (m.group(1), m.group(2), m.group(3)) if m else None


# ---- what AWS checks for each operation ----------------------------------------------------------


@dataclass
class Check:
    """One authorization AWS makes inside an operation: `action` (or any of `any_of`) on
    `resource` with the request context `context`; tags of `tags_of` (a resource ARN) answer
    aws:ResourceTag/<key>."""
    action: str
    resource: str
    context: dict = field(default_factory=dict)
    any_of: tuple[str, ...] = ()
    tags_of: str | None = None
    lockout: str | None = None    # the key policy of a CreateKey: the lockout safety check


@dataclass
class Operation:
    service: str      # "kms"
    name: str         # "CreateKey"
    label: str        # "KMS CreateKey" (how the plugin's messages name it)
    checks: list[Check]
    protocol: str     # "json", "query", "rest-lambda", "rest-apigateway"


LABEL = {"kms": "KMS", "logs": "CloudWatch Logs", "tagging": "Resource Groups Tagging",
         "iam": "IAM", "sts": "STS", "lambda": "Lambda", "apigateway": "API Gateway"}


def _arn(service: str, region: str, resource: str, account: str = ACCOUNT) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


def _tag_context(tags: dict[str, str] | None, keys: list[str] | None = None) -> dict:
    ctx: dict = {}
    for k, v in (tags or {}).items():
        ctx[f"aws:RequestTag/{k}"] = v
    names = list((tags or {}).keys()) if keys is None else keys
    if names:
        ctx["aws:TagKeys"] = names
    return ctx


def _kms_key_arn(region: str, key_id: str, env: "Enforcer") -> str:
    if key_id.startswith("arn:"):
        if ":alias/" in key_id:
            target = env.alias_target(region, "alias/" + key_id.split(":alias/", 1)[1])
            return target or key_id
        return key_id
    if key_id.startswith("alias/"):
        return env.alias_target(region, key_id) or _arn("kms", region, key_id)
    return _arn("kms", region, f"key/{key_id}")


def _kms_list_tags(body: dict) -> dict[str, str]:
    return {t.get("TagKey", ""): t.get("TagValue", "") for t in body.get("Tags") or []}


def _kms(op: str, r: Request, env: "Enforcer") -> list[Check]:
    b = r.json
    region = r.region
    if op == "CreateKey":
        # kms:CreateKey: Resource "*"; condition keys aws:RequestTag, aws:TagKeys, kms:KeySpec,
        # kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion, kms:BypassPolicyLockoutSafetyCheck.
        # With Tags, kms:TagResource in an IAM policy "that isn't restricted to particular KMS
        # keys" (KMS Developer Guide, Controlling access to tags): checked on key/*.
        tags = _kms_list_tags(b)
        ctx = dict(_tag_context(tags),
                   **{"kms:KeySpec": b.get("KeySpec") or b.get("CustomerMasterKeySpec")
                      or "SYMMETRIC_DEFAULT",
                      "kms:KeyUsage": b.get("KeyUsage") or "ENCRYPT_DECRYPT",
                      "kms:KeyOrigin": b.get("Origin") or "AWS_KMS",
                      "kms:MultiRegion": str(bool(b.get("MultiRegion"))).lower(),
                      "kms:BypassPolicyLockoutSafetyCheck":
                          str(bool(b.get("BypassPolicyLockoutSafetyCheck"))).lower(),
                      "kms:CallerAccount": ACCOUNT})
        any_key = _arn("kms", region, "key/*")
        checks = [Check("kms:CreateKey", "*", ctx)]
        if tags:
            checks.append(Check("kms:TagResource", any_key, ctx))
        if b.get("Policy") and not b.get("BypassPolicyLockoutSafetyCheck"):
            checks.append(Check("kms:PutKeyPolicy", any_key, ctx, lockout=b["Policy"]))
        return checks
    if op == "ListAliases":
        return [Check("kms:ListAliases", "*")]  # no resource-level permissions
    if op in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        # the alias and the key(s): CreateAlias the target; UpdateAlias the current and the new
        # target; DeleteAlias the current target (KMS API Reference, each operation's Required
        # permissions)
        alias = b.get("AliasName", "")
        checks = [Check(f"kms:{op}", _arn("kms", region, alias))]
        keys = []
        if op in ("UpdateAlias", "DeleteAlias"):
            current = env.alias_target(region, alias)
            if current:
                keys.append(current)
        if op in ("CreateAlias", "UpdateAlias") and b.get("TargetKeyId"):
            keys.append(_kms_key_arn(region, b["TargetKeyId"], env))
        for k in dict.fromkeys(keys):
            checks.append(Check(f"kms:{op}", k, tags_of=k))
        return checks
    if op in ("DescribeKey", "GetKeyRotationStatus", "EnableKeyRotation", "DisableKeyRotation",
              "ListResourceTags", "ScheduleKeyDeletion", "TagResource", "UntagResource"):
        key = _kms_key_arn(region, b.get("KeyId", ""), env)
        ctx = {}
        if op == "TagResource":
            ctx = _tag_context(_kms_list_tags(b))
        elif op == "UntagResource":
            ctx = _tag_context(None, b.get("TagKeys") or [])
        return [Check(f"kms:{op}", key, ctx, tags_of=key)]
    return None


def _logs(op: str, r: Request, env: "Enforcer") -> list[Check]:
    b = r.json
    named = _arn("logs", r.region, f"log-group:{b.get('logGroupName', '')}:*")
    if op == "CreateLogGroup":
        tags = b.get("tags") or {}
        ctx = _tag_context(tags)
        checks = [Check("logs:CreateLogGroup", named, ctx)]
        if tags:
            # "To assign tags when you create a log group, you must have either the
            # logs:TagResource or logs:TagLogGroup permission" (CreateLogGroup, tags)
            checks.append(Check("logs:TagResource", named, ctx,
                                any_of=("logs:TagResource", "logs:TagLogGroup")))
        return checks
    if op in ("AssociateKmsKey", "PutRetentionPolicy", "DeleteLogGroup"):
        return [Check(f"logs:{op}", named)]
    if op == "DescribeLogGroups":
        return [Check("logs:DescribeLogGroups", _arn("logs", r.region, "log-group:*"))]
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        arn = b.get("resourceArn", "")
        ctx = (_tag_context(b.get("tags") or {}) if op == "TagResource" else
               _tag_context(None, b.get("tagKeys") or []) if op == "UntagResource" else {})
        return [Check(f"logs:{op}", arn, ctx)]
    return None


def _tagging(op: str, r: Request, env: "Enforcer") -> list[Check]:
    if op == "GetResources":
        return [Check("tag:GetResources", "*")]  # no resource-level permissions
    return None


def _iam_query_tags(form: dict[str, str], member: str) -> dict[str, str]:
    tags, i = {}, 1
    while f"{member}.member.{i}.Key" in form:
        tags[form[f"{member}.member.{i}.Key"]] = form.get(f"{member}.member.{i}.Value", "")
        i += 1
    return tags


def _iam(op: str, r: Request, env: "Enforcer") -> list[Check]:
    f = r.form
    role = f"arn:{PARTITION}:iam::{ACCOUNT}:role{f.get('Path', '/')}{f.get('RoleName', '')}"
    if op == "CreateRole":
        tags = _iam_query_tags(f, "Tags")
        ctx = _tag_context(tags)
        if f.get("PermissionsBoundary"):
            ctx["iam:PermissionsBoundary"] = f["PermissionsBoundary"]
        checks = [Check("iam:CreateRole", role, ctx)]
        if tags:
            # IAM User Guide, Tagging IAM resources: tagging a role as it is created needs
            # iam:TagRole as well
            checks.append(Check("iam:TagRole", role, ctx))
        return checks
    if op in ("GetRole", "ListRoleTags", "ListRolePolicies", "ListAttachedRolePolicies",
              "PutRolePolicy", "DeleteRolePolicy", "DeleteRole"):
        return [Check(f"iam:{op}", role)]
    if op == "TagRole":
        return [Check("iam:TagRole", role, _tag_context(_iam_query_tags(f, "Tags")))]
    if op == "UntagRole":
        keys, i = [], 1
        while f"TagKeys.member.{i}" in f:
            keys.append(f[f"TagKeys.member.{i}"])
            i += 1
        return [Check("iam:UntagRole", role, _tag_context(None, keys))]
    if op in ("AttachRolePolicy", "DetachRolePolicy"):
        return [Check(f"iam:{op}", role, {"iam:PolicyARN": f.get("PolicyArn", "")})]
    return None


def _sts(op: str, r: Request, env: "Enforcer") -> list[Check]:
    if op == "GetCallerIdentity":
        return []  # "No permissions are required to perform this operation" (STS API Reference)
    return None


_LAMBDA_ROUTES = [
    ("POST", r"/2015-03-31/functions/?", "CreateFunction"),
    ("GET", r"/2015-03-31/functions/(?P<fn>[^/]+)", "GetFunction"),
    ("DELETE", r"/2015-03-31/functions/(?P<fn>[^/]+)", "DeleteFunction"),
    ("GET", r"/2015-03-31/functions/(?P<fn>[^/]+)/policy", "GetPolicy"),
    ("POST", r"/2015-03-31/functions/(?P<fn>[^/]+)/policy", "AddPermission"),
    ("DELETE", r"/2015-03-31/functions/(?P<fn>[^/]+)/policy/(?P<sid>[^/]+)", "RemovePermission"),
    ("PUT", r"/2015-03-31/functions/(?P<fn>[^/]+)/configuration", "UpdateFunctionConfiguration"),
    ("PUT", r"/2015-03-31/functions/(?P<fn>[^/]+)/code", "UpdateFunctionCode"),
    ("GET", r"/2017-03-31/tags/(?P<arn>.+)", "ListTags"),
    ("POST", r"/2017-03-31/tags/(?P<arn>.+)", "TagResource"),
    ("DELETE", r"/2017-03-31/tags/(?P<arn>.+)", "UntagResource"),
]


def _lambda_fn_arn(region: str, fn: str) -> str:
    return fn if fn.startswith("arn:") else _arn("lambda", region, f"function:{fn}")


def _lambda(op: str, m: dict, r: Request, env: "Enforcer") -> list[Check]:
    b = r.json
    if op == "CreateFunction":
        fn = _lambda_fn_arn(r.region, b.get("FunctionName", ""))
        tags = b.get("Tags") or {}
        ctx = _tag_context(tags)
        checks = [Check("lambda:CreateFunction", fn, ctx)]
        if b.get("Role"):
            # lambda:CreateFunction's dependent action (Service Authorization Reference)
            checks.append(Check("iam:PassRole", b["Role"],
                                {"iam:PassedToService": "lambda.amazonaws.com",
                                 "iam:AssociatedResourceArn": fn}))
        if tags:
            # Lambda Developer Guide, Using tags on Lambda functions: creating a function with
            # tags needs lambda:TagResource
            checks.append(Check("lambda:TagResource", fn, ctx))
        return checks
    if op in ("ListTags", "TagResource", "UntagResource"):
        arn = m["arn"]
        ctx = (_tag_context(b.get("Tags") or {}) if op == "TagResource" else
               _tag_context(None, r.query.get("tagKeys", [])) if op == "UntagResource" else {})
        return [Check(f"lambda:{op}", arn, ctx)]
    fn = _lambda_fn_arn(r.region, m["fn"])
    if op == "AddPermission":
        ctx = {"lambda:Principal": b.get("Principal", "")}
        if b.get("FunctionUrlAuthType"):
            ctx["lambda:FunctionUrlAuthType"] = b["FunctionUrlAuthType"]
        return [Check("lambda:AddPermission", fn, ctx)]
    checks = [Check(f"lambda:{op}", fn)]
    if op == "UpdateFunctionConfiguration" and b.get("Role"):
        checks.append(Check("iam:PassRole", b["Role"],
                            {"iam:PassedToService": "lambda.amazonaws.com",
                             "iam:AssociatedResourceArn": fn}))
    return checks


_APIGW_ROUTES = [
    ("GET", r"/restapis", "GetRestApis"),
    ("POST", r"/restapis", "CreateRestApi"),
    ("GET", r"/restapis/(?P<api>[^/]+)", "GetRestApi"),
    ("DELETE", r"/restapis/(?P<api>[^/]+)", "DeleteRestApi"),
    ("GET", r"/restapis/(?P<api>[^/]+)/resources", "GetResources"),
    ("POST", r"/restapis/(?P<api>[^/]+)/resources/[^/]+", "CreateResource"),
    ("PUT", r"/restapis/(?P<api>[^/]+)/resources/[^/]+/methods/[^/]+", "PutMethod"),
    ("PUT", r"/restapis/(?P<api>[^/]+)/resources/[^/]+/methods/[^/]+/integration",
     "PutIntegration"),
    ("POST", r"/restapis/(?P<api>[^/]+)/deployments", "CreateDeployment"),
    ("POST", r"/restapis/(?P<api>[^/]+)/stages", "CreateStage"),
    ("GET", r"/restapis/(?P<api>[^/]+)/stages", "GetStages"),
    ("GET", r"/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)", "GetStage"),
    ("DELETE", r"/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)", "DeleteStage"),
    ("PUT", r"/tags/(?P<arn>.+)", "TagResource"),
    ("DELETE", r"/tags/(?P<arn>.+)", "UntagResource"),
]


def _apigateway(op: str, m: dict, r: Request, env: "Enforcer") -> list[Check]:
    # API Gateway's actions are the HTTP verbs; the resource is the path under
    # arn:aws:apigateway:<region>:: (Service Authorization Reference, Amazon API Gateway
    # Management). A REST API's children inherit its tags for ABAC (API Gateway Developer Guide,
    # Tag inheritance in the Amazon API Gateway V1 API).
    resource = f"arn:{PARTITION}:apigateway:{r.region}::{r.path}"
    b = r.json
    ctx: dict = {}
    if op in ("CreateRestApi", "CreateStage", "TagResource"):
        ctx = _tag_context(b.get("tags") or {})
    elif op == "UntagResource":
        ctx = _tag_context(None, r.query.get("tagKeys", []))
    tagged = None
    if "api" in m:
        tagged = f"arn:{PARTITION}:apigateway:{r.region}::/restapis/{m['api']}"
        if m.get("stage"):
            tagged += f"/stages/{m['stage']}"
    elif "arn" in m:
        tagged = m["arn"]
    return [Check(f"apigateway:{r.method}", resource, ctx, tags_of=tagged)]


def identify(r: Request, env: "Enforcer") -> Operation | None:
    """The operation of a request and what AWS checks for it (None: not in the table)."""
    target = r.headers.get("x-amz-target", "")
    label = LABEL.get(r.service, r.service)
    if r.service in ("kms", "logs", "tagging"):
        op = target.split(".")[-1]
        fn = {"kms": _kms, "logs": _logs, "tagging": _tagging}[r.service]
        checks = fn(op, r, env) if op else None
        return Operation(r.service, op, f"{label} {op}", checks, "json") \
            if checks is not None else None
    if r.service in ("iam", "sts"):
        op = r.form.get("Action", "") or r.query.get("Action", [""])[0]
        checks = (_iam if r.service == "iam" else _sts)(op, r, env)
        return Operation(r.service, op, f"{label} {op}", checks, "query") \
            if checks is not None else None
    routes = {"lambda": _LAMBDA_ROUTES, "apigateway": _APIGW_ROUTES}.get(r.service)
    for method, pattern, op in routes or []:
        mm = re.fullmatch(pattern, r.path)
        if method == r.method and mm:
            groups = {k: urllib.parse.unquote(v) for k, v in mm.groupdict().items() if v}
            fn = _lambda if r.service == "lambda" else _apigateway
            return Operation(r.service, op, f"{label} {op}", fn(op, groups, r, env),
                             f"rest-{r.service}")
    return None


# The table, as a reader sees it: operation -> IAM actions (resource) [extra checks]. Sources:
# the Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/
# reference/): list_awskeymanagementservice, list_amazoncloudwatchlogs,
# list_awsresourcegroupstaggingapi, list_awsidentityandaccessmanagementiam, list_awslambda,
# list_amazonapigatewaymanagement; and each operation's API Reference "Required permissions" for
# the extra checks (cited beside them above). tests/deployer/test_enforcer.py checks that this
# table and `identify` agree, and tests/README.md shows it.
ACTIONS = {
    "sts GetCallerIdentity": "(none: always allowed)",
    "kms CreateKey": "kms:CreateKey (*) [+ kms:TagResource (key/*) with Tags; + kms:PutKeyPolicy "
                     "(key/*) lockout check with a Policy]",
    "kms DescribeKey": "kms:DescribeKey (key)",
    "kms GetKeyRotationStatus": "kms:GetKeyRotationStatus (key)",
    "kms EnableKeyRotation": "kms:EnableKeyRotation (key)",
    "kms DisableKeyRotation": "kms:DisableKeyRotation (key)",
    "kms ListResourceTags": "kms:ListResourceTags (key)",
    "kms TagResource": "kms:TagResource (key)",
    "kms UntagResource": "kms:UntagResource (key)",
    "kms ScheduleKeyDeletion": "kms:ScheduleKeyDeletion (key)",
    "kms ListAliases": "kms:ListAliases (*)",
    "kms CreateAlias": "kms:CreateAlias (alias) + kms:CreateAlias (target key)",
    "kms UpdateAlias": "kms:UpdateAlias (alias) + (current key) + (new key)",
    "kms DeleteAlias": "kms:DeleteAlias (alias) + (current key)",
    "tagging GetResources": "tag:GetResources (*)",
    "logs CreateLogGroup": "logs:CreateLogGroup (log group) [+ logs:TagResource or "
                           "logs:TagLogGroup with tags]",
    "logs AssociateKmsKey": "logs:AssociateKmsKey (log group)",
    "logs PutRetentionPolicy": "logs:PutRetentionPolicy (log group)",
    "logs DescribeLogGroups": "logs:DescribeLogGroups (log-group:*)",
    "logs ListTagsForResource": "logs:ListTagsForResource (log group ARN)",
    "logs TagResource": "logs:TagResource (log group ARN)",
    "logs UntagResource": "logs:UntagResource (log group ARN)",
    "logs DeleteLogGroup": "logs:DeleteLogGroup (log group)",
    "iam CreateRole": "iam:CreateRole (role) [+ iam:TagRole with Tags]",
    "iam GetRole": "iam:GetRole (role)",
    "iam ListRoleTags": "iam:ListRoleTags (role)",
    "iam ListRolePolicies": "iam:ListRolePolicies (role)",
    "iam ListAttachedRolePolicies": "iam:ListAttachedRolePolicies (role)",
    "iam PutRolePolicy": "iam:PutRolePolicy (role)",
    "iam DeleteRolePolicy": "iam:DeleteRolePolicy (role)",
    "iam AttachRolePolicy": "iam:AttachRolePolicy (role; iam:PolicyARN)",
    "iam DetachRolePolicy": "iam:DetachRolePolicy (role; iam:PolicyARN)",
    "iam TagRole": "iam:TagRole (role)",
    "iam UntagRole": "iam:UntagRole (role)",
    "iam DeleteRole": "iam:DeleteRole (role)",
    "lambda CreateFunction": "lambda:CreateFunction (function) + iam:PassRole (role; "
                             "iam:PassedToService) [+ lambda:TagResource with Tags]",
    "lambda GetFunction": "lambda:GetFunction (function) [Tags only with lambda:ListTags]",
    "lambda GetPolicy": "lambda:GetPolicy (function)",
    "lambda UpdateFunctionConfiguration": "lambda:UpdateFunctionConfiguration (function) "
                                          "[+ iam:PassRole with a Role]",
    "lambda UpdateFunctionCode": "lambda:UpdateFunctionCode (function)",
    "lambda AddPermission": "lambda:AddPermission (function; lambda:Principal)",
    "lambda RemovePermission": "lambda:RemovePermission (function)",
    "lambda TagResource": "lambda:TagResource (function)",
    "lambda UntagResource": "lambda:UntagResource (function)",
    "lambda ListTags": "lambda:ListTags (function)",
    "lambda DeleteFunction": "lambda:DeleteFunction (function)",
    "apigateway CreateRestApi": "apigateway:POST (/restapis)",
    "apigateway GetRestApis": "apigateway:GET (/restapis)",
    "apigateway GetRestApi": "apigateway:GET (/restapis/<id>)",
    "apigateway GetResources": "apigateway:GET (/restapis/<id>/resources)",
    "apigateway CreateResource": "apigateway:POST (/restapis/<id>/resources/<parent>)",
    "apigateway PutMethod": "apigateway:PUT (/restapis/<id>/resources/<r>/methods/<m>)",
    "apigateway PutIntegration": "apigateway:PUT (.../methods/<m>/integration)",
    "apigateway CreateDeployment": "apigateway:POST (/restapis/<id>/deployments)",
    "apigateway CreateStage": "apigateway:POST (/restapis/<id>/stages)",
    "apigateway GetStages": "apigateway:GET (/restapis/<id>/stages)",
    "apigateway GetStage": "apigateway:GET (/restapis/<id>/stages/<name>)",
    "apigateway DeleteStage": "apigateway:DELETE (/restapis/<id>/stages/<name>)",
    "apigateway TagResource": "apigateway:PUT (/tags/<arn>)",
    "apigateway UntagResource": "apigateway:DELETE (/tags/<arn>)",
    "apigateway DeleteRestApi": "apigateway:DELETE (/restapis/<id>)",
}


# ---- the enforcer -------------------------------------------------------------------------------


@dataclass
class Record:
    operation: str          # "KMS CreateKey"
    action: str             # the IAM action decided ("" for an operation needing none)
    resource: str
    decision: str           # "Allow", "ImplicitDeny", "ExplicitDeny", "Lockout", "Unknown"
    principal: str
    sid: str | None = None

    @property
    def denied(self) -> bool:
        return self.decision != "Allow"


def user_arn(name: str) -> str:
    return f"arn:{PARTITION}:iam::{ACCOUNT}:user/{name}"


def denial_message(principal_arn: str, action: str, resource: str, explicit: bool) -> str:
    """AWS's words for a refusal by an identity-based policy (IAM User Guide, Troubleshoot
    access denied error messages)."""
    on = f" on resource: {resource}" if resource and resource != "*" else ""
    why = ("with an explicit deny in an identity-based policy" if explicit else
           f"because no identity-based policy allows the {action} action")
    return f"User: {principal_arn} is not authorized to perform: {action}{on} {why}"


LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."


class Enforcer:
    """Evaluates and records; the HTTP side is EnforcerProxy. `policy` may be replaced at any
    time (set_policy). `admin` gives boto3 clients straight to moto for the lookups."""

    def __init__(self, policy: dict, principals: dict[str, str],
                 admin_client: Callable[[str, str], object] | None = None):
        self.policy = policy
        self.principals = principals   # access key id -> IAM user name
        self.admin_client = admin_client
        self.records: list[Record] = []
        self.lock = threading.Lock()
        self.url: str | None = None   # the proxy's, once an EnforcerProxy serves this enforcer

    def set_policy(self, policy: dict) -> None:
        with self.lock:
            self.policy = policy

    @property
    def denials(self) -> list[Record]:
        with self.lock:
            return [r for r in self.records if r.denied]

    def clear(self) -> None:
        with self.lock:
            self.records.clear()

    # -- lookups in moto (absent when there is no admin client or no such resource) --
    def alias_target(self, region: str, alias: str) -> str | None:
        if self.admin_client is None:
            return None
        kms = self.admin_client("kms", region)
        for page in kms.get_paginator("list_aliases").paginate():
            for a in page["Aliases"]:
                if a["AliasName"] == alias and a.get("TargetKeyId"):
                    return _arn("kms", region, f"key/{a['TargetKeyId']}")
        return None

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        if self.admin_client is None or not arn:
            return None
        try:
            parts = arn.split(":", 5)
            service, region = parts[2], parts[3]
            if service == "kms" and parts[5].startswith("key/"):
                kms = self.admin_client("kms", region)
                tags = kms.list_resource_tags(KeyId=arn)["Tags"]
                return {t["TagKey"]: t["TagValue"] for t in tags}
            if service == "apigateway":
                path = parts[5].lstrip(":").strip("/").split("/")  # restapis/<id>[/stages/<n>]
                if len(path) < 2 or path[0] != "restapis":
                    return None
                apigw = self.admin_client("apigateway", region)
                tags = dict(apigw.get_rest_api(restApiId=path[1]).get("tags") or {})
                if len(path) >= 4 and path[2] == "stages":
                    try:
                        tags.update(apigw.get_stage(restApiId=path[1],
                                                    stageName=path[3]).get("tags") or {})
                    except Exception:
                        pass
                return tags
        except Exception:
            return None  # a missing resource has no tags
        return None

    # -- decisions --
    def decide(self, check: Check, principal: str) -> Decision:
        tags_cache: dict = {}

        def lazy(key: str):
            if not key.lower().startswith("aws:resourcetag/") or check.tags_of is None:
                return None
            if "tags" not in tags_cache:
                tags_cache["tags"] = self.resource_tags(check.tags_of)
            tags = tags_cache["tags"] or {}
            name = key.split("/", 1)[1]
            return [tags[name]] if name in tags else None

        ctx = dict(check.context)
        ctx.setdefault("aws:PrincipalArn", user_arn(principal))
        ctx.setdefault("aws:PrincipalAccount", ACCOUNT)
        context = dict_context(ctx, lazy)
        with self.lock:
            policy = self.policy
        actions = check.any_of or (check.action,)
        decisions = [evaluate(policy, a, check.resource, context) for a in actions]
        explicit = next((d for d in decisions if d.effect == "ExplicitDeny"), None)
        if explicit:
            return explicit
        return next((d for d in decisions if d.allowed), decisions[0])

    def _key_policy_delegates(self, key_policy: str, principal: str) -> str | None:
        """Who the new key policy lets call kms:PutKeyPolicy: "caller" (named in it), "iam" (the
        account, so IAM policies decide) or None."""
        try:
            doc = json.loads(key_policy)
        except ValueError:
            return None
        root = {f"arn:{PARTITION}:iam::{ACCOUNT}:root", ACCOUNT}
        who = None
        for st in doc.get("Statement") or []:
            if not isinstance(st, dict) or st.get("Effect") != "Allow" or st.get("Condition"):
                continue
            acts = st.get("Action") or []
            if not any(wildcard(a, "kms:PutKeyPolicy", ignore_case=True)
                       for a in (acts if isinstance(acts, list) else [acts])):
                continue
            p = st.get("Principal")
            aws = p.get("AWS") if isinstance(p, dict) else p
            aws = aws if isinstance(aws, list) else [aws]
            if user_arn(principal) in aws or "*" in aws:
                return "caller"
            if root & set(aws):
                who = "iam"
        return who

    def authorize(self, op: Operation, principal: str) -> tuple[Record | None, list[Record]]:
        """The first refusal of an operation (None: allowed) and every decision made."""
        made: list[Record] = []
        for check in op.checks:
            if check.lockout is not None:
                who = self._key_policy_delegates(check.lockout, principal)
                d = self.decide(check, principal) if who == "iam" else None
                ok = who == "caller" or (d is not None and d.allowed)
                rec = Record(op.label, check.action, check.resource,
                             "Allow" if ok else "Lockout", principal, d.sid if d else None)
                made.append(rec)
                if not ok:
                    return rec, made
                continue
            d = self.decide(check, principal)
            rec = Record(op.label, check.action, check.resource, d.effect, principal, d.sid)
            made.append(rec)
            if not d.allowed:
                return rec, made
        if not op.checks:
            made.append(Record(op.label, "", "", "Allow", principal))
        return None, made

    def record(self, recs: list[Record]) -> None:
        with self.lock:
            self.records.extend(recs)


# ---- answers -------------------------------------------------------------------------------------


def refusal(op: Operation | None, service: str, rec: Record,
            principal: str) -> tuple[int, dict, bytes]:
    """(status, headers, body) of AWS's answer to a refused request, in the service's protocol:
    JSON 1.1 (KMS, CloudWatch Logs, Tagging): HTTP 400 AccessDeniedException; Query (IAM, STS):
    HTTP 403 ErrorResponse/Error Sender AccessDenied; Lambda and API Gateway (REST-JSON): HTTP 403
    AccessDeniedException with x-amzn-ErrorType; the KMS lockout check: HTTP 400
    MalformedPolicyDocumentException."""
    rid = str(uuid.uuid4())
    if rec.decision == "Lockout":
        code, message, status = "MalformedPolicyDocumentException", LOCKOUT_MESSAGE, 400
    else:
        code, status = "AccessDeniedException", 400
        message = denial_message(user_arn(principal), rec.action, rec.resource,
                                 rec.decision == "ExplicitDeny")
    protocol = op.protocol if op else {"iam": "query", "sts": "query", "lambda": "rest-lambda",
                                       "apigateway": "rest-apigateway"}.get(service, "json")
    if protocol == "query":
        ns = ("https://iam.amazonaws.com/doc/2010-05-08/" if service == "iam" else
              "https://sts.amazonaws.com/doc/2011-06-15/")
        esc = (message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>AccessDenied'
                f'</Code><Message>{esc}</Message></Error><RequestId>{rid}</RequestId>'
                f'</ErrorResponse>').encode()
        return 403, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body
    headers = {"x-amzn-RequestId": rid, "x-amzn-ErrorType": code}
    if protocol == "json":
        headers["Content-Type"] = "application/x-amz-json-1.1"
        return status, headers, json.dumps({"__type": code, "message": message}).encode()
    headers["Content-Type"] = "application/json"
    return 403, headers, json.dumps({"Message": message}).encode()


def unknown_operation_record(r: Request, principal: str) -> Record:
    what = r.headers.get("x-amz-target") or r.form.get("Action") if r.service in (
        "kms", "logs", "tagging", "iam", "sts") else f"{r.method} {r.path}"
    return Record(f"{LABEL.get(r.service, r.service)} {what}",
                  f"{r.service}:{what} (not in the enforcer's table)", "*", "Unknown", principal)


class EnforcerProxy(ForwardingProxy):
    """The loopback HTTP side: forwards to `upstream` (moto) what the Enforcer allows (requests
    signed with a key it does not know pass unchecked: the harness's own), and hides a
    GetFunction answer's Tags from a caller not allowed lambda:ListTags."""

    def __init__(self, upstream: str, enforcer: Enforcer):
        self.enforcer = enforcer
        self._local = threading.local()  # the request in hand: (operation, principal)
        super().__init__(upstream, timeout=120)
        enforcer.url = self.url

    def intercept(self, wire: WireRequest) -> Reply | None:
        self._local.seen = None
        auth = parse_authorization(wire.header("Authorization"))
        principal = self.enforcer.principals.get(auth[0]) if auth else None
        if principal is None:
            return None
        parsed = urllib.parse.urlsplit(wire.target)
        req = Request(service=auth[2], region=auth[1], method=wire.method,
                      path=urllib.parse.unquote(parsed.path),
                      query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                      headers=wire.header_map(), body=wire.body, access_key=auth[0])
        op = identify(req, self.enforcer)
        if op is None:
            rec = unknown_operation_record(req, principal)
            made = [rec]
        else:
            rec, made = self.enforcer.authorize(op, principal)
        self.enforcer.record(made)
        if rec is not None:
            status, headers, body = refusal(op, req.service, rec, principal)
            return Reply(status, list(headers.items()), body)
        self._local.seen = (op, principal)
        return None

    def rewrite(self, wire: WireRequest, reply: Reply) -> Reply:
        op, principal = self._local.seen or (None, None)
        if op is None or op.service != "lambda" or op.name != "GetFunction" or reply.status != 200:
            return reply
        body = self._filter_get_function(op, reply.body, principal)
        return Reply(reply.status, reply.headers, body, reply.reason)

    def _filter_get_function(self, op: Operation, data: bytes, principal: str) -> bytes:
        """GetFunction answers Tags only to a caller allowed lambda:ListTags; otherwise a
        TagsError (Lambda API Reference, GetFunction: Tags, TagsError)."""
        try:
            doc = json.loads(data)
        except ValueError:
            return data
        fn = (doc.get("Configuration") or {}).get("FunctionArn") or op.checks[0].resource
        check = Check("lambda:ListTags", fn)
        d = self.enforcer.decide(check, principal)
        self.enforcer.record([Record("Lambda GetFunction", "lambda:ListTags", fn,
                                     d.effect, principal, d.sid)])
        if d.allowed:
            return data
        doc.pop("Tags", None)
        doc["TagsError"] = {"ErrorCode": "AccessDeniedException",
                            "Message": denial_message(user_arn(principal), "lambda:ListTags", fn,
                                                      d.effect == "ExplicitDeny")}
        return json.dumps(doc).encode()


# ---- the deployer policy --------------------------------------------------------------------------


def policy_for(template: dict | str, account: str, region: str, name: str) -> dict:
    """docs/deployer-policy.json with its placeholders filled in."""
    text = template if isinstance(template, str) else json.dumps(template)
    text = (text.replace("<account>", account).replace("<region>", region)
            .replace("<name>", name))
    return json.loads(text)


def policy_actions(policy: dict) -> list[tuple[str, str]]:
    """(Sid, action) of every action an Allow statement grants, in order."""
    out = []
    for st in policy["Statement"]:
        if st["Effect"] != "Allow":
            continue
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        out.extend((st["Sid"], a) for a in acts)
    return out


def without(policy: dict, sid: str, action: str) -> dict:
    """The policy minus one action of one statement (the statement goes when it had no other)."""
    out = json.loads(json.dumps(policy))
    stmts = []
    for st in out["Statement"]:
        if st.get("Sid") == sid:
            acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            assert action in acts, (sid, action)
            acts = [a for a in acts if a != action]
            if not acts:
                continue
            st["Action"] = acts
        stmts.append(st)
    out["Statement"] = stmts
    return out
