"""Allocation failures, proven the way curl's torture tests and SQLite's fault injection prove
them: a plugin built with the meson option alloc_testing (base/alloc.h) fails one allocation of
ours (or cJSON's) at a time, the first call of the method under test its allocation number
START, the next call START + STEP, and so on, until a call makes fewer allocations than the
number planned to fail. For every such call of Check, Diff, Create (against moto), Read and
Delete of one stack:

- the plugin does not crash, and the call either succeeds or fails with a one-line error;
- AWS never holds an object of the stack without its ownership tag, nor a KMS key without the
  stack's key policy (checked in moto after each call);
- at the end the plugin stops cleanly, and under ASan (check.sh runs this suite on its ASan +
  alloc_testing build) any leak or memory error fails the test (harness/plugin.py).

check.sh walks Check and Diff through every allocation and Create, Read and Delete with a stride
(SECUREAPI_ALLOC_STRIDE, default 25, from an offset that differs per method); `tests/alloc/run.sh`
walks every allocation of every method (stride 1; about 40 minutes on 2 cores).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.plugin import Plugin, RecordingEngine, struct

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
STRIDE = int(os.environ.get("SECUREAPI_ALLOC_STRIDE", "25"))
LINE = re.compile(r"alloc: (\w+) counted (\d+) allocations, failing number (\d+): (\w+)")


def alloc_build() -> Path:
    d = os.environ.get("SECUREAPI_ALLOC_BUILD_DIR")
    if not d:
        pytest.fail("SECUREAPI_ALLOC_BUILD_DIR is not set: tests/check.sh runs this suite on its "
                    "ASan + alloc_testing build (or see tests/alloc/run.sh)")
    exe = Path(d) / "provider" / "pulumi-resource-secureapi"
    assert exe.exists(), f"{exe} not built"
    return exe


class Sweep:
    """One plugin process failing allocation START, START+STEP, ... of successive calls of one
    method."""

    def __init__(self, aws, tmp_path, method: str, start: int, step: int):
        self.aws = aws
        self.method = method
        self.engine = RecordingEngine()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(aws.client_env())
        env.update({"SECUREAPI_ALLOC_FAIL_METHOD": method, "SECUREAPI_ALLOC_FAIL_AT": str(start),
                    "SECUREAPI_ALLOC_FAIL_STEP": str(step)})
        self.stderr = tmp_path / f"plugin-{method}.stderr"
        self.plugin = Plugin(alloc_build(), engine=self.engine, env=env, stderr_path=self.stderr)
        self.plugin.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}),
                                                                 acceptSecrets=True))
        self.seen = 0

    def outcome(self) -> tuple[int, int, bool]:
        """(allocations counted, the number planned to fail, whether it failed) of the last
        armed call."""
        lines = [m for m in LINE.finditer(self.stderr.read_text(errors="replace"))
                 if m.group(1) == self.method]
        assert len(lines) == self.seen + 1, f"no alloc line for call {self.seen + 1}"
        self.seen += 1
        m = lines[-1]
        return int(m.group(2)), int(m.group(3)), m.group(4) == "failed"

    def close(self):
        self.plugin.close()  # a clean stop; under ASan, a report fails the test here
        self.engine.stop()


def check_request(news: dict, olds: dict | None = None):
    return provider_pb2.CheckRequest(urn=URN, olds=struct(olds or {}), news=struct(news),
                                     randomSeed=b"seed", name="api", type=TYPE)


def as_dict(s) -> dict:
    return json_format.MessageToDict(s)


def call(fn, request):
    """Runs one RPC; returns (response, None) or (None, its error message)."""
    try:
        return fn(request, timeout=120), None
    except grpc.RpcError as e:
        return None, e.details() or ""


def assert_clear_error(message: str | None):
    if message is None:
        return
    if os.environ.get("SECUREAPI_ALLOC_SHOW"):
        print("   error:", message)
    assert message.strip() and "\n" not in message, f"unclear error: {message!r}"


def assert_nothing_untagged(aws):
    """Every object in moto carries a secureapi:stack tag, every key the stack's key policy."""
    kms = aws.boto3_client("kms")
    for k in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        if meta["KeyManager"] != "CUSTOMER":
            continue
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=k["KeyId"])["Tags"]}
        assert "secureapi:stack" in tags, f"KMS key {k['KeyId']} without its ownership tag"
        policy = json.loads(kms.get_key_policy(KeyId=k["KeyId"], PolicyName="default")["Policy"])
        sids = {s.get("Sid") for s in policy["Statement"]}
        assert {"AccountRootFullAccess", "CloudWatchLogsForThisLogGroup"} <= sids, \
            f"KMS key {k['KeyId']} without the stack's key policy: {policy}"
    iam = aws.boto3_client("iam")
    for r in iam.list_roles()["Roles"]:
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=r["RoleName"])["Tags"]}
        assert "secureapi:stack" in tags, f"IAM role {r['RoleName']} without its ownership tag"
    lam = aws.boto3_client("lambda")
    for f in lam.list_functions()["Functions"]:
        tags = lam.list_tags(Resource=f["FunctionArn"])["Tags"]
        assert "secureapi:stack" in tags, f"function {f['FunctionName']} without its ownership tag"
    logs = aws.boto3_client("logs")
    for g in logs.describe_log_groups()["logGroups"]:
        arn = g["arn"].removesuffix(":*")
        tags = logs.list_tags_for_resource(resourceArn=arn)["tags"]
        assert "secureapi:stack" in tags, f"log group {g['logGroupName']} without its tag"
    for a in aws.boto3_client("apigateway").get_rest_apis()["items"]:
        assert "secureapi:stack" in a.get("tags", {}), f"REST API {a['id']} without its tag"


def sweep(aws, tmp_path, method: str, start: int, step: int, each) -> int:
    """Runs each(sweep) until a call makes fewer allocations than the one planned to fail;
    returns how many calls failed an allocation."""
    s = Sweep(aws, tmp_path, method, start, step)
    failures = 0
    try:
        while True:
            each(s)
            counted, target, failed = s.outcome()
            assert s.plugin.alive(), f"the plugin died at {method} allocation {target}"
            if not failed:
                assert target > counted, f"allocation {target} of {counted} did not fail"
                break
            failures += 1
    finally:
        s.close()
    assert failures > 0
    return failures


def test_check_every_allocation(aws, tmp_path):
    news = {"environmentSuffix": "dev", "tags": {"team": "a"}, "lambdaEnvironment": {"A1": "b"}}

    def each(s):
        r, msg = call(s.plugin.stub.Check, check_request(news))
        assert_clear_error(msg)

    n = sweep(aws, tmp_path, "Check", 1, 1, each)
    print(f"Check: {n} allocations failed one by one")


def test_diff_every_allocation(aws, tmp_path):
    # a state and new inputs that differ in a map, a scalar and a replacing input
    s0 = Sweep(aws, tmp_path, "Check", 0, 1, )
    try:
        olds = s0.plugin.stub.Check(check_request({"environmentSuffix": "dev",
                                                   "tags": {"a": "1"}})).inputs
        news = s0.plugin.stub.Check(check_request({"environmentSuffix": "qa", "tags": {"b": "2"},
                                                   "lambdaMemorySize": 512})).inputs
    finally:
        s0.close()

    def each(s):
        r, msg = call(s.plugin.stub.Diff, provider_pb2.DiffRequest(
            urn=URN, id="x", olds=olds, news=news, old_inputs=olds))
        assert_clear_error(msg)

    n = sweep(aws, tmp_path, "Diff", 1, 1, each)
    print(f"Diff: {n} allocations failed one by one")


def checked_inputs(plugin):
    return plugin.stub.Check(check_request({"environmentSuffix": "dev", "tags": {"team": "a"}})).inputs


def test_create(aws, tmp_path):
    def each(s):
        aws.reset()
        inputs = checked_inputs(s.plugin)
        r, msg = call(s.plugin.stub.Create, provider_pb2.CreateRequest(urn=URN, properties=inputs))
        assert_clear_error(msg)
        assert_nothing_untagged(aws)

    n = sweep(aws, tmp_path, "Create", 1 + STRIDE // 3, STRIDE, each)
    print(f"Create: {n} allocations failed (stride {STRIDE})")


def test_read(aws, tmp_path):
    state = {}

    def each(s):
        if not state:
            inputs = checked_inputs(s.plugin)
            state["inputs"] = inputs
            state["created"] = s.plugin.stub.Create(provider_pb2.CreateRequest(urn=URN,
                                                                               properties=inputs))
        c = state["created"]
        r, msg = call(s.plugin.stub.Read, provider_pb2.ReadRequest(
            urn=URN, id=c.id, properties=c.properties, inputs=state["inputs"]))
        assert_clear_error(msg)
        assert_nothing_untagged(aws)

    n = sweep(aws, tmp_path, "Read", 1 + STRIDE // 2, STRIDE, each)
    print(f"Read: {n} allocations failed (stride {STRIDE})")


def test_delete(aws, tmp_path):
    def each(s):
        aws.reset()
        inputs = checked_inputs(s.plugin)
        c = s.plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs))
        r, msg = call(s.plugin.stub.Delete, provider_pb2.DeleteRequest(
            urn=URN, id=c.id, properties=c.properties))
        assert_clear_error(msg)
        assert_nothing_untagged(aws)

    n = sweep(aws, tmp_path, "Delete", 1 + (2 * STRIDE) // 3, STRIDE, each)
    print(f"Delete: {n} allocations failed (stride {STRIDE})")
