"""SecureApiStack's pure operations over real gRPC: Check validates and fills defaults, Diff
classifies changes (replace on suffix/region, in place otherwise, detailed per map key), and
preview Create predicts outputs; none of them makes an AWS call (counted at a loopback server the
plugin's endpoints point to)."""

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.plugin import struct

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"



def as_dict(s):
    return json_format.MessageToDict(s)


@pytest.fixture
def plugin(configured_plugin, counting):
    return configured_plugin({"AWS_ENDPOINT_URL": counting.url, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                              "AWS_SECRET_ACCESS_KEY": "x"}, {"skipCredentialsValidation": "true"})


def check(plugin, news, olds=None, seed=b"seed"):
    return plugin.stub.Check(provider_pb2.CheckRequest(
        urn=URN, olds=struct(olds or {}), news=struct(news), randomSeed=seed, name="api", type=TYPE))


def test_check_fills_defaults_and_names(plugin, counting):
    r = check(plugin, {"environmentSuffix": "dev", "region": "ap-southeast-1"})
    assert list(r.failures) == []
    inputs = as_dict(r.inputs)
    assert inputs["lambdaRuntime"] == "nodejs22.x"
    assert inputs["lambdaMemorySize"] == 256 and inputs["lambdaTimeout"] == 29
    assert inputs["logRetentionInDays"] == 7 and inputs["kmsDeletionWindowInDays"] == 30
    assert inputs["kmsKeyRotation"] is True and inputs["stageName"] == "prod"
    assert inputs["executionPolicy"] == "scoped"
    names = inputs["__names"]
    assert names["functionName"].startswith("api-dev-")
    assert names["logGroupName"] == "/aws/lambda/" + names["functionName"]
    assert names["region"] == "ap-southeast-1"
    # same seed, same names: every retry sees the same names
    assert as_dict(check(plugin, {"environmentSuffix": "dev", "region": "ap-southeast-1"}).inputs) == inputs
    assert counting.requests == []


@pytest.mark.parametrize("prop,value,needle", [
    ("environmentSuffix", "has space", "1-32 characters"),
    ("environmentSuffix", "x" * 33, "1-32 characters"),
    ("region", "atlantis", "not an AWS region"),
    ("lambdaRuntime", "python3.12", "not a Node.js runtime"),
    ("lambdaRuntime", "nodejs14.x", "deprecated"),  # create blocked since 2024-01-09
    ("lambdaMemorySize", 100, "128 to 10240"),
    ("lambdaMemorySize", "big", "whole number"),
    ("lambdaTimeout", 0, "1 to 900"),
    ("logRetentionInDays", 10, "one of CloudWatch Logs' values"),
    ("kmsKeyRotation", "sometimes", "true or false"),
    ("kmsDeletionWindowInDays", 31, "7 to 30"),
    ("stageName", "", "not valid"),
    ("executionPolicy", "admin", "scoped"),
    ("tags", {"aws:x": "1"}, "reserved"),
    ("lambdaEnvironment", {"AWS_REGION": "x"}, "reserved"),
    ("lambdaHandlerCode", "console.log(1)", "named handler"),
    ("bogus", 1, "unknown property"),
])
def test_check_failure_names_the_property(plugin, counting, prop, value, needle):
    news = {"environmentSuffix": "dev", prop: value}
    r = check(plugin, news)
    matching = [f for f in r.failures if f.property.split(".")[0] == prop]
    assert matching, r.failures
    assert needle in matching[0].reason
    assert counting.requests == []


def test_check_missing_suffix(plugin):
    r = check(plugin, {})
    assert [f.property for f in r.failures] == ["environmentSuffix"]
    assert "required" in r.failures[0].reason


def state_for(plugin, news):
    inputs = check(plugin, news).inputs
    created = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, preview=True,
                                                            name="api", type=TYPE))
    return inputs, created


def test_preview_create_predicts_outputs_without_aws(plugin, counting):
    inputs, r = state_for(plugin, {"environmentSuffix": "dev", "tags": {"team": "a"},
                                   "lambdaEnvironment": {"MODE": {SIG: SECRET, "value": "x"}}})
    out = as_dict(r.properties)
    assert out["apiUrl"] == UNKNOWN and out["kmsKeyId"] == UNKNOWN and out["restApiId"] == UNKNOWN
    assert out["functionName"] == as_dict(inputs)["__names"]["functionName"]
    assert out["logGroupName"].startswith("/aws/lambda/api-dev-")
    assert out["region"] == "ap-southeast-1"
    assert out["lambdaEnvironment"]["MODE"] == {SIG: SECRET, "value": "x"}  # secrets stay secret
    assert counting.requests == []


def diff(plugin, olds_inputs, news_inputs):
    state = as_dict(plugin.stub.Create(provider_pb2.CreateRequest(
        urn=URN, properties=olds_inputs, preview=True, name="api", type=TYPE)).properties)
    return plugin.stub.Diff(provider_pb2.DiffRequest(
        id="stack-id", urn=URN, olds=struct(state), news=news_inputs, old_inputs=olds_inputs,
        name="api", type=TYPE))


def test_diff_in_place_and_replace(plugin, counting):
    base = {"environmentSuffix": "dev", "tags": {"team": "a", "cost center": "1"}}
    olds = check(plugin, base).inputs
    same = diff(plugin, olds, check(plugin, base, olds=as_dict(olds)).inputs)
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    assert "apiUrl" in same.stables

    changed = dict(base, lambdaMemorySize=512, tags={"team": "b", "owner": "me"})
    d = diff(plugin, olds, check(plugin, changed, olds=as_dict(olds)).inputs)
    assert d.changes == provider_pb2.DiffResponse.DIFF_SOME and d.hasDetailedDiff
    assert list(d.replaces) == []
    kinds = {k: v.kind for k, v in d.detailedDiff.items()}
    assert kinds["lambdaMemorySize"] == provider_pb2.PropertyDiff.UPDATE
    assert kinds["tags.team"] == provider_pb2.PropertyDiff.UPDATE
    assert kinds["tags.owner"] == provider_pb2.PropertyDiff.ADD
    assert kinds['tags["cost center"]'] == provider_pb2.PropertyDiff.DELETE
    assert sorted(d.diffs) == ["lambdaMemorySize", "tags"]

    d = diff(plugin, olds, check(plugin, dict(base, environmentSuffix="qa"), olds=as_dict(olds)).inputs)
    assert list(d.replaces) == ["environmentSuffix"]
    assert d.detailedDiff["environmentSuffix"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE

    d = diff(plugin, olds, check(plugin, dict(base, region="eu-west-1"), olds=as_dict(olds)).inputs)
    assert "region" in d.replaces
    assert counting.requests == []
