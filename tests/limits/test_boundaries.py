"""Check refuses exactly what AWS refuses: one test per limit of provider/stack/limits.c, each at
its boundary. Just inside, the stack is created in moto (through the harness's request validator,
so every request also meets AWS's published models); just outside, Check answers a CheckFailure
naming the property, and no AWS call is made (counted at a loopback server). BOUNDARIES is the
table tests/README.md shows (test_readme_lists_every_boundary keeps the two equal)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.plugin import Plugin, struct

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
README = Path(__file__).resolve().parents[1] / "README.md"


@dataclass(frozen=True)
class Boundary:
    name: str        # the test id
    prop: str        # the input
    inside: object   # the value just inside the limit (a dict: merged into the inputs)
    outside: object  # just outside
    failure: str     # the property the CheckFailure names
    source: str      # where the limit comes from


def env_of_json_size(n: int) -> dict:
    """Variables whose map, with the stack's own LOG_LEVEL and ENVIRONMENT_SUFFIX ("dev"), is n
    bytes of compact JSON: what Lambda measures."""
    base = len('{"LOG_LEVEL":"INFO","BIG":"","ENVIRONMENT_SUFFIX":"dev"}')
    return {"BIG": "x" * (n - base)}


def tags(n: int) -> dict:
    return {f"k{i}": "v" for i in range(n)}


BOUNDARIES = [
    Boundary("suffix-length", "environmentSuffix", "a" * 32, "a" * 33, "environmentSuffix",
             "ours: the suffix is part of every name; IAM role and Lambda function names are at "
             "most 64 characters (iam roleNameType, lambda FunctionName)"),
    Boundary("memory-min", "lambdaMemorySize", 128, 127, "lambdaMemorySize",
             "lambda CreateFunction.MemorySize: min 128"),
    Boundary("memory-max", "lambdaMemorySize", 10240, 10241, "lambdaMemorySize",
             "Lambda quotas: function memory 128 MB to 10,240 MB (the model says 32768)"),
    Boundary("timeout-min", "lambdaTimeout", 1, 0, "lambdaTimeout",
             "lambda CreateFunction.Timeout: min 1"),
    Boundary("timeout-max", "lambdaTimeout", 900, 901, "lambdaTimeout",
             "Lambda quotas: function timeout 900 seconds"),
    Boundary("retention-value", "logRetentionInDays", 3653, 3654, "logRetentionInDays",
             "CloudWatch Logs PutRetentionPolicy: retentionInDays possible values"),
    Boundary("retention-gap", "logRetentionInDays", 5, 6, "logRetentionInDays",
             "CloudWatch Logs PutRetentionPolicy: retentionInDays possible values"),
    Boundary("deletion-window-min", "kmsDeletionWindowInDays", 7, 6, "kmsDeletionWindowInDays",
             "KMS ScheduleKeyDeletion: PendingWindowInDays 7 to 30 (the model says 1 to 365)"),
    Boundary("deletion-window-max", "kmsDeletionWindowInDays", 30, 31,
             "kmsDeletionWindowInDays", "KMS ScheduleKeyDeletion: PendingWindowInDays 7 to 30"),
    Boundary("stage-length", "stageName", "s" * 128, "s" * 129, "stageName",
             "API Gateway CreateStage: stage names at most 128 characters"),
    Boundary("stage-characters", "stageName", "a-b_C9", "a.b", "stageName",
             "API Gateway CreateStage: alphanumeric characters, hyphens and underscores"),
    Boundary("tag-count", "tags", tags(47), tags(48), "tags",
             "50 tags per resource (IAM tagListType max 50, CloudWatch Logs Tags max 50, KMS, "
             "Lambda and API Gateway documentation), the stack's own three included"),
    Boundary("tag-key-length", "tags", {"k" * 128: "v"}, {"k" * 129: "v"}, "tags." + "k" * 129,
             "TagKey max 128 (iam tagKeyType, logs TagKey, kms TagKeyType, lambda TagKey)"),
    Boundary("tag-value-length", "tags", {"k": "v" * 256}, {"k": "v" * 257}, "tags.k",
             "TagValue max 256 (iam tagValueType, logs TagValue, kms TagValueType, lambda TagValue)"),
    Boundary("tag-key-characters", "tags", {"Team é 1_.:/=+-@": "x"}, {"a&b": "x"}, "tags.a&b",
             "iam tagKeyType / logs TagKey pattern [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"),
    Boundary("tag-value-characters", "tags", {"k": "a b_.:/=+-@ ü"}, {"k": "a,b"}, "tags.k",
             "iam tagValueType / logs TagValue pattern [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"),
    Boundary("tag-aws-prefix", "tags", {"awsx:team": "x"}, {"AwS:team": "x"}, "tags.AwS:team",
             "AWS tagging: the aws: prefix is reserved, in any case"),
    Boundary("env-name-length", "lambdaEnvironment", {"AB": "x"}, {"A": "x"},
             "lambdaEnvironment.A", "lambda EnvironmentVariableName pattern [a-zA-Z]([a-zA-Z0-9_])+"),
    Boundary("env-name-characters", "lambdaEnvironment", {"A_1": "x"}, {"A-1": "x"},
             "lambdaEnvironment.A-1",
             "lambda EnvironmentVariableName pattern [a-zA-Z]([a-zA-Z0-9_])+"),
    Boundary("env-reserved", "lambdaEnvironment", {"TZ": "UTC"}, {"AWS_LAMBDA_METADATA_TOKEN": "x"},
             "lambdaEnvironment.AWS_LAMBDA_METADATA_TOKEN",
             "Lambda developer guide: reserved environment variables (TZ is not one of them)"),
    Boundary("env-reserved-aws", "lambdaEnvironment", {"AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"},
             {"AWS_DEFAULT_REGION": "x"}, "lambdaEnvironment.AWS_DEFAULT_REGION",
             "Lambda developer guide: reserved environment variables (some AWS_* are not)"),
    Boundary("env-size", "lambdaEnvironment", env_of_json_size(4096), env_of_json_size(4097),
             "lambdaEnvironment",
             "Lambda quotas: 4 KB of environment variables, measured as the map's JSON"),
    Boundary("runtime-blocked", "lambdaRuntime", "nodejs24.x", "nodejs14.x", "lambdaRuntime",
             "lambda Runtime enum; Lambda runtimes: nodejs14.x blocked for new functions since "
             "2024-01-09"),
    Boundary("runtime-enum", "lambdaRuntime", "nodejs22.x", "nodejs22", "lambdaRuntime",
             "lambda Runtime enum"),
]


def as_dict(s):
    return json_format.MessageToDict(s)


def inputs_with(b: Boundary, value) -> dict:
    return {"environmentSuffix": "dev", b.prop: value} if b.prop != "environmentSuffix" \
        else {"environmentSuffix": value}


def check(p: Plugin, news: dict):
    return p.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct(news),
                                                  randomSeed=b"seed", name="api", type=TYPE))


@pytest.mark.parametrize("b", BOUNDARIES, ids=[b.name for b in BOUNDARIES])
def test_boundary(b, aws, configured_plugin, counting):
    skip_sts = {"skipCredentialsValidation": "true"}
    # just outside: a CheckFailure naming the property, and no AWS call
    p = configured_plugin({"AWS_ENDPOINT_URL": counting.url, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                           "AWS_SECRET_ACCESS_KEY": "x"}, skip_sts)
    r = check(p, inputs_with(b, b.outside))
    assert [f.property for f in r.failures] == [b.failure], r.failures
    assert counting.requests == []
    # just inside: created in moto
    p = configured_plugin(aws.client_env(), skip_sts)
    r = check(p, inputs_with(b, b.inside))
    assert list(r.failures) == [], r.failures
    created = p.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=r.inputs,
                                                       name="api", type=TYPE, timeout=300))
    out = as_dict(created.properties)
    assert out["apiUrl"] and out["functionArn"]
    lam = aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    if b.prop == "lambdaMemorySize":
        assert lam["Configuration"]["MemorySize"] == b.inside
    if b.prop == "lambdaEnvironment":
        for k, v in b.inside.items():
            assert lam["Configuration"]["Environment"]["Variables"][k] == v
    if b.prop == "tags":
        assert {k: v for k, v in lam["Tags"].items() if k in b.inside} == b.inside


def readme_rows() -> list[list[str]]:
    text = README.read_text()
    section = text.split("## Input limits", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| `")]
    return rows


def test_readme_lists_every_boundary():
    names = [r[0].strip("`") for r in readme_rows()]
    assert names == [b.name for b in BOUNDARIES], \
        "tests/README.md's 'Input limits' table must list BOUNDARIES in order"
    for row, b in zip(readme_rows(), BOUNDARIES):
        assert row[1] == f"`{b.prop}`" and row[4] == b.source, row
