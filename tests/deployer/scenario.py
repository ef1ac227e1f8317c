"""The deployer suite's gRPC scenario: one SecureApiStack driven over gRPC (harness/resource.py's
Stack) through every path that needs a permission, step by step, stopping at the first failure:

1. create;
2. refresh;
3. create again without a state (the state lost after a killed CLI): everything is adopted;
4. drift: the key scheduled for deletion and the REST API deleted behind Pulumi's back, then
   refresh (both forgotten) and an update that repairs them (a new key, the log group associated
   with it, the alias moved; a new API, the invoke permission replaced);
5. an update changing everything in place (a tag removed and one changed, memory, retention, the
   execution policy, rotation off, the stage renamed, new code), then refresh;
6. delete.

A failed step raises StepFailed after checking that whatever the step made exists in the state
the plugin answered (ErrorResourceInitFailed's outputs, or the last outputs)."""
from __future__ import annotations

import grpc
from google.protobuf import json_format
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from harness.resource import Stack

D = json_format.MessageToDict

CODE = "exports.handler = async () => ({ statusCode: 204, body: '' });\n"
STEPS = 8


def base(suffix: str) -> dict:
    return {"environmentSuffix": suffix, "tags": {"team": "api", "cost": "42"}}


def changed(suffix: str) -> dict:
    return dict(base(suffix), tags={"team": "platform"}, lambdaMemorySize=512,
                logRetentionInDays=14, executionPolicy="managed", kmsKeyRotation=False,
                stageName="v2", lambdaHandlerCode=CODE)


class StepFailed(Exception):
    def __init__(self, step: str, message: str, state: dict | None):
        super().__init__(f"{step}: {message}")
        self.step, self.message, self.state = step, message, state


def partial_state(err: grpc.RpcError) -> dict | None:
    """The outputs an ErrorResourceInitFailed carries (what exists after a failed Create or
    Update), or None."""
    raw = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin")
    if not raw:
        return None
    for detail in status_pb2.Status.FromString(raw).details:
        if detail.type_url.endswith("pulumirpc.ErrorResourceInitFailed"):
            out = provider_pb2.ErrorResourceInitFailed()
            detail.Unpack(out)
            return D(out.properties)
    return None


def accounted(state: dict | None) -> dict[str, set]:
    """What a stack's state accounts for, in the shape of harness.stack_checks.everything."""
    s = state or {}
    return {
        "kms keys": {s["kmsKeyId"]} if s.get("kmsKeyId") else set(),
        "kms aliases": {s["kmsAliasName"]} if s.get("kmsAliasName") else set(),
        "iam roles": {s["roleName"]} if s.get("roleArn") else set(),
        "lambda functions": {s["functionName"]} if s.get("functionArn") else set(),
        "log groups": {s["logGroupName"]} if s.get("logGroupArn") else set(),
        # a duplicate API a create could not delete stays in the state as retired, for the next
        # update or delete to delete
        "rest apis": {s[k] for k in ("restApiId", "_retiredRestApiId") if s.get(k)},
    }


def names_of(plugin, suffix: str) -> dict:
    """The AWS names of the scenario's stack (Check derives them)."""
    return D(Stack(plugin).check(base(suffix)))["__names"]


def stack_objects(accounts, names: dict) -> dict[str, list]:
    """Everything in moto that carries the stack's names or its ownership tag (for tests that
    share one moto between stacks), in the shape of harness.stack_checks.everything."""
    kms, fn = accounts.client("kms"), names["functionName"]
    tagged = accounts.client("resourcegroupstaggingapi").get_resources(
        ResourceTypeFilters=["kms:key"],
        TagFilters=[{"Key": "secureapi:stack", "Values": [fn]}])["ResourceTagMappingList"]
    keys = [m for m in (kms.describe_key(KeyId=t["ResourceARN"])["KeyMetadata"] for t in tagged)
            if m["KeyState"] != "PendingDeletion"]
    aliases = [a["AliasName"] for page in kms.get_paginator("list_aliases").paginate()
               for a in page["Aliases"] if a["AliasName"] == names["aliasName"]]
    iam, lam = accounts.client("iam"), accounts.client("lambda")
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] == names["roleName"]]
    functions = [f["FunctionName"] for f in lam.list_functions()["Functions"]
                 if f["FunctionName"] == fn]
    groups = [g["logGroupName"] for g in accounts.client("logs").describe_log_groups(
        logGroupNamePrefix=names["logGroupName"])["logGroups"]
        if g["logGroupName"] == names["logGroupName"]]
    apis = [a["id"] for a in accounts.client("apigateway").get_rest_apis(limit=500)["items"]
            if a["name"] == names["apiName"]]
    return {"kms keys": [k["KeyId"] for k in keys], "kms aliases": aliases, "iam roles": roles,
            "lambda functions": functions, "log groups": groups, "rest apis": apis}


def exercise(plugin, accounts, suffix: str, listing) -> list[str]:
    """The scenario until the first failure (StepFailed). `listing()` lists what exists (the
    whole of moto, or the stack's objects). Returns the steps run."""
    done: list[str] = []
    s = Stack(plugin)

    def step(name, fn):
        before = listing()
        try:
            fn()
        except grpc.RpcError as e:
            state = partial_state(e)
            if state is None:
                state = D(s.outputs) if s.outputs is not None else {}
            after = listing()
            known = accounted(state)
            made = {k: set(after[k]) - set(before[k]) for k in after}
            orphans = {k: v - known[k] for k, v in made.items() if v - known[k]}
            assert not orphans, f"{name} failed and left {orphans} out of its state {state}"
            raise StepFailed(name, e.details(), state) from None
        done.append(name)

    step("create", lambda: s.create(base(suffix)))
    first = D(s.outputs)
    step("refresh", s.refresh)

    def adopt():
        nonlocal s
        s2 = Stack(plugin)
        s2.create(base(suffix))
        s = s2
    step("create again without a state (adoption)", adopt)
    assert D(s.outputs)["restApiId"] == first["restApiId"]
    assert D(s.outputs)["roleArn"] == first["roleArn"]

    out = D(s.outputs)
    accounts.client("kms").schedule_key_deletion(KeyId=out["kmsKeyId"], PendingWindowInDays=7)
    accounts.client("apigateway").delete_rest_api(restApiId=out["restApiId"])
    step("refresh after drift", s.refresh)
    step("update repairing the drift", lambda: s.update(base(suffix)))
    step("update changing everything in place", lambda: s.update(changed(suffix)))
    step("refresh after the update", s.refresh)
    step("delete", s.delete)
    assert len(done) == STEPS
    return done
