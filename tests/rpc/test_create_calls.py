"""Create on its critical path: a fresh Create makes exactly the calls its pieces need (the creates,
plus the two searches that find what an interrupted run made: the key by its ownership tag, the
REST API by its name and tag), no GetFunction once CreateFunction said Active; the search for an
API runs beside CreateRestApi, not before it; and when that search finds an API an interrupted run
made, the older one is kept (the new one deleted), so there is still exactly one. An in-place
update of the function's settings and retention makes those two calls (no GetFunction once the
update's answer says Successful); a Delete makes one call per piece, removing only the role policy
the state records, and still removes a policy attached out of band. The timings behind "critical
path" are measured by tests/bench/run.sh, not asserted here."""
import re
import threading
from collections import Counter

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.fault_proxy import Fault
from harness.plugin import struct
from harness.resource import Stack
from harness.stack_checks import REGION, check_stack_in_moto, everything

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
D = json_format.MessageToDict

# every call a fresh Create makes, as the proxy names it with ids replaced by {id}
FRESH_CREATE = Counter({
    "GetResources": 1,                      # tagging: a key of an interrupted run
    "CreateKey": 1, "EnableKeyRotation": 1, "CreateAlias": 1,
    "CreateLogGroup": 1, "PutRetentionPolicy": 1,
    "CreateRole": 1, "PutRolePolicy": 1,
    "POST /2015-03-31/functions": 1, "POST /2015-03-31/functions/{id}/policy": 1,
    "GET /restapis": 1,                     # an API of an interrupted run, beside the create
    "POST /restapis": 1, "POST /restapis/{id}/resources/{id}": 1,
    "PUT /restapis/{id}/resources/{id}/methods/ANY": 1,
    "PUT /restapis/{id}/resources/{id}/methods/GET": 1,
    "PUT /restapis/{id}/resources/{id}/methods/ANY/integration": 1,
    "PUT /restapis/{id}/resources/{id}/methods/GET/integration": 1,
    "POST /restapis/{id}/deployments": 1, "POST /restapis/{id}/stages": 1,
})


# every call a Delete of a stack with the scoped (inline) role policy makes
DELETE = Counter({
    "DELETE /restapis/{id}": 1, "DELETE /2015-03-31/functions/{id}": 1, "DeleteLogGroup": 1,
    "DeleteRolePolicy": 1, "DeleteRole": 1, "DeleteAlias": 1, "ScheduleKeyDeletion": 1,
})


def shape(op: str) -> str:
    op = op.split("?")[0]
    op = re.sub(r"^(\w+ /restapis)/[^/]+", r"\1/{id}", op)
    op = re.sub(r"/resources/[^/]+", "/resources/{id}", op)
    return re.sub(r"/functions/[^/]+", "/functions/{id}", op)


@pytest.fixture
def plugin(configured_plugin, aws, proxy):
    return configured_plugin({**aws.client_env(REGION), "AWS_ENDPOINT_URL": proxy.url})


def check(plugin, suffix):
    return plugin.stub.Check(provider_pb2.CheckRequest(
        urn=URN, olds=struct({}), news=struct({"environmentSuffix": suffix}), randomSeed=b"c",
        name="api", type=TYPE)).inputs


def create_and_delete(plugin, aws, inputs):
    r = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                      type=TYPE))
    out = D(r.properties)
    check_stack_in_moto(aws, out)
    plugin.stub.Delete(provider_pb2.DeleteRequest(id=r.id, urn=URN, properties=r.properties,
                                                  name="api", type=TYPE))
    left = everything(aws)
    assert left == {k: [] for k in left}, left
    return out


def test_fresh_create_makes_only_the_calls_it_needs(plugin, aws, proxy):
    inputs = check(plugin, "calls")
    c0 = len(proxy.calls)
    r = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                      type=TYPE))
    made = Counter(shape(op) for op in proxy.calls[c0:])
    assert made == FRESH_CREATE, {"extra": made - FRESH_CREATE, "missing": FRESH_CREATE - made}
    plugin.stub.Delete(provider_pb2.DeleteRequest(id=r.id, urn=URN, properties=r.properties,
                                                  name="api", type=TYPE))


def test_api_search_runs_beside_create_rest_api(plugin, aws, proxy):
    # GetRestApis is held at the proxy until CreateRestApi has arrived there: a plugin that
    # searched first, then created, would send CreateRestApi only after the search's answer
    create_seen = threading.Event()
    held = {}

    def hold_search():
        held["create arrived while the search was held"] = create_seen.wait(timeout=20)

    proxy.inject(Fault("GET /restapis", status=None, times=1, hook=hold_search))
    proxy.inject(Fault("POST /restapis", status=None, times=1, hook=create_seen.set))
    create_and_delete(plugin, aws, check(plugin, "beside"))
    assert held == {"create arrived while the search was held": True}


def test_api_of_an_interrupted_run_is_kept_and_the_new_one_deleted(plugin, aws, proxy):
    inputs = check(plugin, "again")
    names = D(inputs)["__names"]
    ag = aws.boto3_client("apigateway")
    # what a run killed right after its CreateRestApi left: the API, named and tagged as ours
    older = ag.create_rest_api(name=names["apiName"], endpointConfiguration={"types": ["REGIONAL"]},
                               tags={"secureapi:stack": names["functionName"]})["id"]
    c0 = len(proxy.calls)
    r = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                      type=TYPE))
    out = D(r.properties)
    assert out["restApiId"] == older
    assert [a["id"] for a in ag.get_rest_apis()["items"]] == [older]
    made = [shape(op) for op in proxy.calls[c0:]]
    assert made.count("POST /restapis") == 1 and made.count("DELETE /restapis/{id}") == 1, made
    check_stack_in_moto(aws, out)
    plugin.stub.Delete(provider_pb2.DeleteRequest(id=r.id, urn=URN, properties=r.properties,
                                                  name="api", type=TYPE))
    left = everything(aws)
    assert left == {k: [] for k in left}, left


def test_update_and_delete_make_only_the_calls_they_need(plugin, aws, proxy):
    s = Stack(plugin, URN)
    s.create({"environmentSuffix": "lean"})
    c0 = len(proxy.calls)
    s.update({"environmentSuffix": "lean", "logRetentionInDays": 30, "lambdaMemorySize": 512})
    made = Counter(shape(op) for op in proxy.calls[c0:])
    assert made == Counter({"PutRetentionPolicy": 1,
                            "PUT /2015-03-31/functions/{id}/configuration": 1}), made
    c0 = len(proxy.calls)
    s.delete()
    made = Counter(shape(op) for op in proxy.calls[c0:])
    assert made == DELETE, {"extra": made - DELETE, "missing": DELETE - made}
    left = everything(aws)
    assert left == {k: [] for k in left}, left


def test_delete_removes_a_policy_attached_out_of_band(plugin, aws, proxy):
    s = Stack(plugin, URN)
    out = s.create({"environmentSuffix": "oob"})
    role = out["roleArn"].split("/")[-1]
    # someone attaches a managed policy to the stack's role: IAM refuses DeleteRole until it is off
    aws.boto3_client("iam").attach_role_policy(
        RoleName=role, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    c0 = len(proxy.calls)
    s.delete()
    made = Counter(shape(op) for op in proxy.calls[c0:])
    assert made["DeleteRole"] == 2 and made["DetachRolePolicy"] == 1, made
    left = everything(aws)
    assert left == {k: [] for k in left}, left
