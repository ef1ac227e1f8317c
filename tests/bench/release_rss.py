#!/usr/bin/env python3
"""Peak resident memory (VmHWM) of plugin binaries over one stack's create and delete against
moto, each binary run the same number of times, interleaved. Compares builds, such as the
release binary of two commits or of two libcs:

    tests/bench/release_rss.py NAME=BINARY [NAME=BINARY...] [--runs N]

(its venv: ~/.cache/pulumi-secureapi/venv-*/bin/python). Prints one line per binary: the
peak RSS of each run in MiB, sorted. It measures; it does not pass or fail."""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pulumi.runtime.proto import provider_pb2  # noqa: E402

from harness.moto import MotoServer  # noqa: E402
from harness.plugin import start_configured, struct  # noqa: E402
from harness.resource import TYPE, URN  # noqa: E402
from harness.stack_checks import REGION  # noqa: E402


def peak_rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def one_stack(moto: MotoServer, binary: Path) -> float:
    moto.reset()
    p = start_configured(binary, None, None, moto.client_env(REGION))
    try:
        inputs = p.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=struct({}), news=struct({"environmentSuffix": "rss"}),
            randomSeed=b"r", name="api", type=TYPE)).inputs
        r = p.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                     type=TYPE))
        p.stub.Delete(provider_pb2.DeleteRequest(id=r.id, urn=URN, properties=r.properties,
                                                 name="api", type=TYPE))
        return peak_rss_mib(p.proc.pid)
    finally:
        p.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("binaries", nargs="+", help="NAME=PATH")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    builds = [b.split("=", 1) for b in args.binaries]
    moto = MotoServer()
    moto.start()
    try:
        peaks: dict[str, list[float]] = {name: [] for name, _ in builds}
        for _ in range(args.runs):
            for name, path in builds:
                peaks[name].append(one_stack(moto, Path(path)))
    finally:
        moto.stop()
    for name, xs in peaks.items():
        print(f"{name}: peak RSS over one create and delete, MiB: "
              + ", ".join(f"{x:.1f}" for x in sorted(xs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
