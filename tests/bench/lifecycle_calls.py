#!/usr/bin/env python3
"""Counts the AWS calls and times each lifecycle operation of one SecureApiStack against moto,
through the counting proxy, driving the built plugin over gRPC as the engine does: create,
refresh (Read), a no-op Diff, an in-place update, delete. For create it also reports the sum of
its AWS calls' durations (what the calls would take one after another) beside its wall time.

    $(bash tools/setup/setup-venv.sh | tail -1)/bin/python tests/bench/lifecycle_calls.py [build dir]
"""
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from pulumi.runtime.proto import provider_pb2  # noqa: E402

from harness.fault_proxy import FaultProxy  # noqa: E402
from harness.aws_validator import RECORDER  # noqa: E402
from harness.moto import MotoServer  # noqa: E402
from harness.plugin import Plugin, RecordingEngine, struct  # noqa: E402

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:bench::bench::{TYPE}::api"



def main() -> int:
    build = (Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "build").resolve()
    moto = MotoServer()
    moto.start()
    proxy = FaultProxy(moto.url)
    engine = RecordingEngine()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(moto.client_env())
    env["AWS_ENDPOINT_URL"] = proxy.url
    plugin = Plugin(build / "provider" / "pulumi-resource-secureapi", engine=engine, env=env)
    rows = []

    def measure(name, fn):
        start_calls, start_t = len(proxy.calls), len(proxy.timings)
        t0 = time.monotonic()
        result = fn()
        wall = time.monotonic() - t0
        serial = sum(t for _, t in proxy.timings[start_t:])
        rows.append((name, len(proxy.calls) - start_calls, wall, serial))
        return result

    try:
        measure("configure (STS check)", lambda: plugin.stub.Configure(
            provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True)))
        news = {"environmentSuffix": "bench"}
        inputs = plugin.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=struct({}), news=struct(news), randomSeed=b"b", name="api",
            type=TYPE)).inputs
        created = measure("create", lambda: plugin.stub.Create(provider_pb2.CreateRequest(
            urn=URN, properties=inputs, name="api", type=TYPE)))
        read = measure("refresh (Read)", lambda: plugin.stub.Read(provider_pb2.ReadRequest(
            id=created.id, urn=URN, properties=created.properties, inputs=inputs, name="api",
            type=TYPE)))
        measure("no-op diff", lambda: plugin.stub.Diff(provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=read.properties, news=inputs, old_inputs=read.inputs,
            name="api", type=TYPE)))
        new_inputs = plugin.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=inputs, news=struct(dict(news, lambdaMemorySize=512,
                                                   logRetentionInDays=14)),
            randomSeed=b"b", name="api", type=TYPE)).inputs
        updated = measure("in-place update (memory, retention)",
                          lambda: plugin.stub.Update(provider_pb2.UpdateRequest(
                              id=created.id, urn=URN, olds=read.properties, news=new_inputs,
                              old_inputs=inputs, name="api", type=TYPE)))
        measure("delete", lambda: plugin.stub.Delete(provider_pb2.DeleteRequest(
            id=created.id, urn=URN, properties=updated.properties, name="api", type=TYPE)))
    finally:
        plugin.close()
        engine.stop()
        proxy.stop()
        moto.stop()
    print("| operation | AWS calls | wall time (s) | its calls one after another (s) |")
    print("|---|---|---|---|")
    for name, calls, wall, serial in rows:
        print(f"| {name} | {calls} | {wall:.3f} | {serial:.3f} |")
    return 0 if RECORDER.report() else 1


if __name__ == "__main__":
    sys.exit(main())
