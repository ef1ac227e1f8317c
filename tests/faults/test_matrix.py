"""The fault matrix: for each of the six services, an operation of each step (Create, Update,
Delete; STS at Configure) answers with a throttling error, HTTP 500 or 503, or a connection reset
mid-response. Transient faults (twice, then the real answer) are retried to success; a
persistent fault fails with a message naming the AWS operation and the error code, a failed
Create reports what exists (ErrorResourceInitFailed), and once the fault is gone the engine's
next step converges; nothing is left behind. tests/README.md has the resulting table."""
import grpc
import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from faults.operations import OPS
from harness.fault_proxy import Fault
from harness.plugin import struct
from harness.stack_checks import check_stack_in_moto, everything

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
D = json_format.MessageToDict

KINDS = ["throttle", "500", "503", "reset"]


def fault_for(op, kind, times):
    throttle = op[3]
    status, code = {"throttle": throttle, "500": (500, "InternalFailure"),
                    "503": (503, "ServiceUnavailable"), "reset": (0, "reset")}[kind]
    return Fault(op[2], status, code, f"injected {kind}", times=times)


def check(plugin, news):
    return plugin.stub.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct(news),
                                                       randomSeed=b"m", name="api",
                                                       type=TYPE)).inputs


def run_steps(plugin, proxy, step, fault, state=None):
    """Runs create, update, delete, injecting the fault before the chosen step; `state` keeps
    what the engine would have in its state when a step fails."""
    state = {} if state is None else state
    base = {"environmentSuffix": "mx"}
    changed = dict(base, lambdaMemorySize=512, logRetentionInDays=14, stageName="v2",
                   tags={"team": "matrix"})
    inputs = check(plugin, base)
    if step in ("create",):
        proxy.inject(fault)
    if fault.operation == "GetCallerIdentity":
        # STS is asked during Configure when credentials are validated
        plugin.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True))
    created = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs,
                                                            name="api", type=TYPE))
    state.update(id=created.id, properties=created.properties, inputs=inputs)
    new_inputs = check(plugin, changed)
    state["new_inputs"] = new_inputs
    if step == "update":
        proxy.inject(fault)
    updated = plugin.stub.Update(provider_pb2.UpdateRequest(
        id=created.id, urn=URN, olds=created.properties, news=new_inputs, old_inputs=inputs,
        name="api", type=TYPE))
    state.update(properties=updated.properties, inputs=new_inputs)
    if step == "delete":
        proxy.inject(fault)
    plugin.stub.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN,
                                                  properties=updated.properties, name="api",
                                                  type=TYPE))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", OPS, ids=lambda o: f"{o[0]}-{o[1]}")
def test_transient_fault_is_retried(plugin, proxy, aws, op, kind):
    fault = fault_for(op, kind, times=2)
    run_steps(plugin, proxy, op[1], fault)
    assert fault.hits == 2, f"the fault never fired ({fault.operation})"
    left = everything(aws)
    assert left == {k: [] for k in left}, left


@pytest.mark.parametrize("op", OPS, ids=lambda o: f"{o[0]}-{o[1]}")
def test_persistent_fault_fails_clearly_then_converges(plugin, proxy, aws, op):
    fault = fault_for(op, "503", times=None)
    state = {}
    with pytest.raises(grpc.RpcError) as e:
        run_steps(plugin, proxy, op[1], fault, state)
    message = e.value.details()
    if " " not in op[2]:
        assert op[2] in message, message          # names the AWS operation
    assert "ServiceUnavailable" in message, message  # and AWS's error code
    proxy.clear()
    if op[1] == "create" and op[2] != "GetCallerIdentity":
        # partial state reported; the next `pulumi up` sends Update, which finishes the stack
        md = dict(e.value.trailing_metadata() or ())
        st = status_pb2.Status.FromString(md["grpc-status-details-bin"])
        detail = provider_pb2.ErrorResourceInitFailed()
        st.details[0].Unpack(detail)
        inputs = check(plugin, {"environmentSuffix": "mx"})
        done = plugin.stub.Update(provider_pb2.UpdateRequest(
            id=detail.id, urn=URN, olds=detail.properties, news=inputs, old_inputs=inputs,
            name="api", type=TYPE))
        check_stack_in_moto(aws, D(done.properties))
        state = {"id": detail.id, "properties": done.properties}
    elif op[1] == "update":
        # the engine keeps the old state; the next `pulumi up` runs Update again
        done = plugin.stub.Update(provider_pb2.UpdateRequest(
            id=state["id"], urn=URN, olds=state["properties"], news=state["new_inputs"],
            old_inputs=state["inputs"], name="api", type=TYPE))
        state["properties"] = done.properties
    if state:
        # delete (again, after a failed delete: every step is idempotent)
        plugin.stub.Delete(provider_pb2.DeleteRequest(id=state["id"], urn=URN,
                                                      properties=state["properties"],
                                                      name="api", type=TYPE))
    left = everything(aws)
    assert left == {k: [] for k in left}, left
