#!/usr/bin/env python3
"""Benchmark of pacing against AWS's request quotas: N SecureApiStacks created at once and then
deleted at once by one plugin process (as `pulumi up --parallel N` drives it), over gRPC, through
the quota proxy (tests/harness/quota_proxy.py: AWS's published rates, AWS's throttling answers)
in front of moto. For each N and each plugin build it reports wall time, AWS calls, 429s and
failed stacks for the ups and the downs, against the quota-bound minimum: the time AWS's rates
allow for that many calls of each class (the slowest class's (calls - burst) / rate). The proxy
and the plugin (apiRateScale) are scaled by the same factor; the plugin's retry budgets are not,
so a scale above 1 is kind to a build without pacing (at 1 its retries run out sooner).

    $(bash tools/setup/setup-venv.sh | tail -1)/bin/python tests/bench/quota_pacing.py \\
        [--stacks 1,10] [--scale 10] [--build build] [--off-build DIR]

--off-build names a build of the plugin without pacing (e.g. the commit before it) for the
"pacing off" rows; without it only the given build is measured.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

import grpc  # noqa: E402

from harness.moto import MotoServer  # noqa: E402
from harness.plugin import RecordingEngine, start_configured  # noqa: E402
from harness.quota_proxy import QuotaProxy  # noqa: E402
from harness.resource import TYPE, Stack  # noqa: E402

REGION = "ap-southeast-1"


def in_parallel(stacks, action) -> int:
    """Runs action(stack) for every stack at once; returns how many failed."""
    failed = []

    def run(s):
        try:
            action(s)
        except grpc.RpcError as e:
            failed.append(e.details())

    threads = [threading.Thread(target=run, args=(s,)) for s in stacks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(failed)


def snapshot(quota: QuotaProxy):
    return dict(quota.allowed), dict(quota.throttled)


def phase(quota: QuotaProxy, before, after, wall: float, failed: int) -> dict:
    allowed = {k: after[0].get(k, 0) - before[0].get(k, 0) for k in after[0]}
    throttled = sum(after[1].values()) - sum(before[1].values())
    minimum = 0.0
    for (service, cls), n in allowed.items():
        rate = quota.rates.get((service, cls))
        if rate is not None and n > rate.burst:
            minimum = max(minimum, (n - rate.burst) / (rate.per_second * quota.scale))
    # the API Gateway total is taken by every API Gateway call besides its own class
    total = quota.rates.get(("apigateway", "*"))
    if total is not None:
        n = sum(v for (s, _), v in allowed.items() if s == "apigateway")
        if n > total.burst:
            minimum = max(minimum, (n - total.burst) / (total.per_second * quota.scale))
    calls = sum(allowed.values()) + throttled
    return {"wall": wall, "calls": calls, "throttled": throttled, "failed": failed,
            "minimum": minimum}


def run(binary: Path, stacks: int, scale: float) -> tuple[dict, dict]:
    moto = MotoServer()
    moto.start()
    quota = QuotaProxy(moto.url, scale=scale)
    engine = RecordingEngine()
    plugin = None
    try:
        plugin = start_configured(binary, engine, None,
                                  {**moto.client_env(REGION), "AWS_ENDPOINT_URL": quota.url},
                                  {"apiRateScale": str(scale)})
        ss = [Stack(plugin, f"urn:pulumi:bench::bench::{TYPE}::api{i}") for i in range(stacks)]
        s0 = snapshot(quota)
        t0 = time.monotonic()
        failed = in_parallel(ss, lambda s: s.create({"environmentSuffix": s.urn.split("::")[-1]}))
        up = phase(quota, s0, snapshot(quota), time.monotonic() - t0, failed)
        s1 = snapshot(quota)
        t0 = time.monotonic()
        failed = in_parallel([s for s in ss if s.id], Stack.delete)
        down = phase(quota, s1, snapshot(quota), time.monotonic() - t0, failed)
        return up, down
    finally:
        if plugin is not None:
            plugin.close()
        engine.stop()
        quota.stop()
        moto.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stacks", default="1,10")
    ap.add_argument("--scale", type=float, default=10.0)
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--off-build")
    a = ap.parse_args()
    builds = [("on", Path(a.build))]
    if a.off_build:
        builds.append(("off", Path(a.off_build)))
    print(f"quota proxy and apiRateScale at {a.scale:g}x AWS's rates; times in seconds")
    print("| stacks | pacing | phase | wall | quota-bound minimum | wall/min | calls | 429s | "
          "429 share | failed stacks |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in a.stacks.split(",")]:
        for label, build in builds:
            up, down = run((build / "provider" / "pulumi-resource-secureapi").resolve(), n,
                           a.scale)
            for name, r in (("up", up), ("destroy", down)):
                ratio = r["wall"] / r["minimum"] if r["minimum"] > 0 else float("nan")
                print(f"| {n} | {label} | {name} | {r['wall']:.1f} | {r['minimum']:.1f} | "
                      f"{ratio:.2f} | {r['calls']} | {r['throttled']} | "
                      f"{r['throttled'] / max(r['calls'], 1):.1%} | {r['failed']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
