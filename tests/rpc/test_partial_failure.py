"""Create failing part-way never orphans anything: a fault at several points of Create (and a
pre-existing object under the stack's name that is not the stack's) answers
ErrorResourceInitFailed with the id and every piece created so far; once the cause is gone the
engine's next Update finishes the stack, and Delete then leaves nothing. The same holds when the
plugin is told to stop (SIGTERM) in the middle of a Create."""

import signal
import threading
import time

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from harness.fault_proxy import Fault
from harness.plugin import struct
from harness.stack_checks import REGION, check_stack_in_moto, everything

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
D = json_format.MessageToDict



@pytest.fixture
def plugin(configured_plugin, aws, proxy):
    return configured_plugin({**aws.client_env(REGION), "AWS_ENDPOINT_URL": proxy.url,
                              "AWS_MAX_ATTEMPTS": "2"})


def init_failed(err: grpc.RpcError) -> provider_pb2.ErrorResourceInitFailed:
    md = dict(err.trailing_metadata() or ())
    raw = md.get("grpc-status-details-bin")
    assert raw, f"no status details: {err.code()} {err.details()}"
    st = status_pb2.Status.FromString(raw)
    (detail,) = st.details
    assert detail.type_url == "type.googleapis.com/pulumirpc.ErrorResourceInitFailed"
    out = provider_pb2.ErrorResourceInitFailed()
    detail.Unpack(out)
    return out


FAULTS = {
    # after the key, log group, role and API exist: the function cannot be made
    "function": (Fault("POST /2015-03-31/functions", 400, "InvalidParameterValueException",
                       "injected: bad function"),
                 {"kmsKeyId", "logGroupArn", "roleArn", "restApiId"}, {"functionArn"}),
    # everything but the stage exists: API Gateway keeps failing
    "stage": (Fault(r"POST /restapis/[^/]+/stages", 503, "ServiceUnavailableException",
                    "injected: unavailable"),
              {"kmsKeyId", "logGroupArn", "roleArn", "restApiId", "functionArn", "deploymentId"},
              {"apiUrl"}),
    # the log group cannot be encrypted (KMS), while the other chains finish
    "log group": (Fault("CreateLogGroup", 400, "InvalidParameterException",
                        "injected: cannot use the key"),
                  {"kmsKeyId", "roleArn", "restApiId"}, {"logGroupArn", "functionArn"}),
}


@pytest.mark.parametrize("point", list(FAULTS))
def test_fault_during_create_then_converge(plugin, aws, proxy, point):
    fault, present, absent = FAULTS[point]
    proxy.inject(fault)
    inputs = plugin.stub.Check(provider_pb2.CheckRequest(
        urn=URN, olds=struct({}), news=struct({"environmentSuffix": "pf"}), randomSeed=b"s",
        name="api", type=TYPE)).inputs
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                      type=TYPE))
    assert fault.message in e.value.details()
    detail = init_failed(e.value)
    partial = D(detail.properties)
    assert detail.id.startswith(f"{REGION}/api-pf-")
    assert present <= set(partial), (present - set(partial))
    assert not (absent & set(partial)), absent & set(partial)
    assert fault.message in detail.reasons[0]

    # the cause goes away; the engine's next `pulumi up` sends Update to finish the job
    proxy.clear()
    r = plugin.stub.Update(provider_pb2.UpdateRequest(
        id=detail.id, urn=URN, olds=detail.properties, news=inputs, old_inputs=inputs,
        name="api", type=TYPE))
    out = D(r.properties)
    check_stack_in_moto(aws, out)
    for key in present & {"kmsKeyId", "roleArn", "restApiId"}:
        assert out[key] == partial[key], f"{key} was made again instead of kept"
    plugin.stub.Delete(provider_pb2.DeleteRequest(id=detail.id, urn=URN, properties=r.properties,
                                                  name="api", type=TYPE))
    left = everything(aws)
    assert left == {k: [] for k in left}, left


def test_sigterm_during_create_reports_what_exists(plugin, configured_plugin, aws, proxy):
    # Every AWS call takes a while; the plugin is told to stop once it has read the answer of a
    # create (the call that follows CreateKey or CreateRole, which needs its id, has been made; a
    # count of calls alone can come before any answer under valgrind). The running Create stops
    # at its next call and still answers with the id and what exists (a plugin that tore itself
    # down under a running call lost that answer: an orphaned key, role or API).
    proxy.latency = 0.3
    inputs = plugin.stub.Check(provider_pb2.CheckRequest(
        urn=URN, olds=struct({}), news=struct({"environmentSuffix": "term"}), randomSeed=b"s",
        name="api", type=TYPE)).inputs
    answer = {}

    def create():
        try:
            plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                          type=TYPE))
        except grpc.RpcError as e:
            answer["error"] = e

    t = threading.Thread(target=create)
    t.start()
    deadline = time.monotonic() + 30
    after_create = {"EnableKeyRotation", "CreateAlias", "PutRolePolicy"}
    while not after_create & set(proxy.calls) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert after_create & set(proxy.calls), proxy.calls
    plugin.signal(signal.SIGTERM)
    t.join(timeout=30)
    plugin.proc.wait(timeout=30)
    assert plugin.proc.returncode == 0
    detail = init_failed(answer["error"])
    partial = D(detail.properties)
    assert detail.id.startswith(f"{REGION}/api-term-")
    assert {"kmsKeyId", "roleArn"} & set(partial), partial

    # the next `pulumi up` starts a new plugin, which finishes the stack from that state; a
    # request the stopped plugin gave up on (a CreateKey whose answer it never read) has reached
    # AWS by then, and the new plugin finds what it made by its ownership tag
    proxy.wait_idle()
    proxy.latency = 0
    again = configured_plugin({**aws.client_env(REGION), "AWS_ENDPOINT_URL": proxy.url})
    r = again.stub.Update(provider_pb2.UpdateRequest(
        id=detail.id, urn=URN, olds=detail.properties, news=inputs, old_inputs=inputs,
        name="api", type=TYPE))
    out = D(r.properties)
    check_stack_in_moto(aws, out)
    again.stub.Delete(provider_pb2.DeleteRequest(id=detail.id, urn=URN, properties=r.properties,
                                                 name="api", type=TYPE))
    left = everything(aws)
    assert left == {k: [] for k in left}, left


def test_foreign_object_under_our_name_is_refused(plugin, aws):
    inputs = plugin.stub.Check(provider_pb2.CheckRequest(
        urn=URN, olds=struct({}), news=struct({"environmentSuffix": "own"}), randomSeed=b"s",
        name="api", type=TYPE)).inputs
    role = D(inputs)["__names"]["roleName"]
    iam = aws.boto3_client("iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")  # someone else's
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                      type=TYPE))
    assert f"the IAM role {role} already exists and is not part of this stack" in e.value.details()
    detail = init_failed(e.value)
    assert "roleArn" not in D(detail.properties)  # not adopted
    iam.delete_role(RoleName=role)
    r = plugin.stub.Update(provider_pb2.UpdateRequest(
        id=detail.id, urn=URN, olds=detail.properties, news=inputs, old_inputs=inputs,
        name="api", type=TYPE))
    check_stack_in_moto(aws, D(r.properties))
    plugin.stub.Delete(provider_pb2.DeleteRequest(id=detail.id, urn=URN, properties=r.properties,
                                                  name="api", type=TYPE))
    left = everything(aws)
    assert left == {k: [] for k in left}, left


def test_duplicate_api_that_cannot_be_deleted_is_retired_not_lost(plugin, aws, proxy):
    # Two faults: a run interrupted after its CreateRestApi left an API of the stack's, and the
    # create that finds it beside its own CreateRestApi cannot delete the new one. The older API
    # is kept (the stack's), the new one stays in the state as retired; the engine's next Update
    # deletes it, and Delete then leaves nothing: neither API is orphaned.
    inputs = plugin.stub.Check(provider_pb2.CheckRequest(
        urn=URN, olds=struct({}), news=struct({"environmentSuffix": "dup"}), randomSeed=b"s",
        name="api", type=TYPE)).inputs
    names = D(inputs)["__names"]
    ag = aws.boto3_client("apigateway")
    older = ag.create_rest_api(name=names["apiName"], endpointConfiguration={"types": ["REGIONAL"]},
                               tags={"secureapi:stack": names["functionName"]})["id"]
    fault = Fault(r"DELETE /restapis/[^/]+", 400, "BadRequestException",
                  "injected: cannot delete", times=1)
    proxy.inject(fault)
    with pytest.raises(grpc.RpcError) as e:
        plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                      type=TYPE))
    assert "the next update or destroy deletes it" in e.value.details()
    detail = init_failed(e.value)
    partial = D(detail.properties)
    assert partial["restApiId"] == older
    made = partial["_retiredRestApiId"]
    assert made != older and made in e.value.details()
    assert sorted(a["id"] for a in ag.get_rest_apis()["items"]) == sorted([older, made])

    proxy.clear()
    r = plugin.stub.Update(provider_pb2.UpdateRequest(
        id=detail.id, urn=URN, olds=detail.properties, news=inputs, old_inputs=inputs,
        name="api", type=TYPE))
    out = D(r.properties)
    assert out["restApiId"] == older and not out.get("_retiredRestApiId")
    assert [a["id"] for a in ag.get_rest_apis()["items"]] == [older]
    check_stack_in_moto(aws, out)
    plugin.stub.Delete(provider_pb2.DeleteRequest(id=detail.id, urn=URN, properties=r.properties,
                                                  name="api", type=TYPE))
    left = everything(aws)
    assert left == {k: [] for k in left}, left
