#!/usr/bin/env python3
"""Release binaries benchmark: the size of every target's binary (stripped) and tarball, and
cold start, exec to the port line, where a target runs here: the static linux-amd64 release
binary against the dynamically linked development build, linux-arm64 under qemu-user and
windows-amd64 under wine (both emulated or translated on this x86-64 machine, so their times say
the binary starts there, not how fast it starts natively; the macOS binaries cannot run here).
Runs are interleaved so that every binary sees the same machine. Prints Markdown tables.

    tests/bench/release.sh        (builds the release tarballs, then runs this)
"""
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness.plugin import loopback_only_env  # noqa: E402
from harness.wine import make_prefix  # noqa: E402

RUNS = int(os.environ.get("SECUREAPI_BENCH_STARTS", "50"))


def to_port_ms(argv, env):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    line = p.stdout.readline()
    t1 = time.perf_counter()
    p.kill()
    p.wait()
    p.stdout.close()
    assert line.strip().isdigit(), f"{argv}: no port line: {line!r}"
    return (t1 - t0) * 1000


def main():
    dist = Path(sys.argv[1])
    version = sys.argv[2]
    dev = Path(os.environ.get("SECUREAPI_BUILD_DIR", REPO / "build")) / "provider" / \
        "pulumi-resource-secureapi"
    tmp = tempfile.TemporaryDirectory()
    work = Path(tmp.name)
    bins, tgz_size = {}, {}
    for tgz in sorted(dist.glob(f"pulumi-resource-secureapi-v{version}-*.tar.gz")):
        target = tgz.name[len(f"pulumi-resource-secureapi-v{version}-"):-len(".tar.gz")]
        tgz_size[target] = tgz.stat().st_size
        with tarfile.open(tgz) as t:
            t.extractall(work / target, filter="data")
        exe = ".exe" if target.startswith("windows") else ""
        bins[target] = work / target / f"pulumi-resource-secureapi{exe}"
    print("| target | binary, MB stripped | tarball, MB |")
    print("|---|---|---|")
    for target in bins:
        print(f"| {target} | {bins[target].stat().st_size / 1e6:.2f} | "
              f"{tgz_size[target] / 1e6:.2f} |")
    print()
    env = loopback_only_env(None)
    cases = {"development build, dynamic (linux-amd64)": [str(dev)]}
    if "linux-amd64" in bins:
        cases["release, static (linux-amd64)"] = [str(bins["linux-amd64"])]
    if "linux-arm64" in bins:
        cases["release, static (linux-arm64 under qemu-user)"] = ["qemu-aarch64-static",
                                                                   str(bins["linux-arm64"])]
    if "windows-amd64" in bins and shutil.which("wine"):
        env = {**env, **make_prefix(work / "wineprefix")}
        cases["release (windows-amd64 under wine 8)"] = ["wine", str(bins["windows-amd64"])]
    times = {k: [] for k in cases}
    for argv in cases.values():  # one warm-up each: page cache
        to_port_ms(argv, env)
    for _ in range(RUNS):
        for k, argv in cases.items():
            times[k].append(to_port_ms(argv, env))
    print(f"| binary | exec to port line, median ms ({RUNS} runs) | p90 ms |")
    print("|---|---|---|")
    for k, xs in times.items():
        xs.sort()
        print(f"| {k} | {statistics.median(xs):.1f} | {xs[int(0.9 * (len(xs) - 1))]:.1f} |")
    if "release, static (linux-amd64)" in times:
        ratio = statistics.median(times["release, static (linux-amd64)"]) / \
            statistics.median(times["development build, dynamic (linux-amd64)"])
        print(f"\nstatic / dynamic, ratio of the medians (linux-amd64, this run): {ratio:.2f}x")


if __name__ == "__main__":
    main()
