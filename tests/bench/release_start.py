#!/usr/bin/env python3
"""Release binaries benchmark: sizes (stripped, and the tarballs) and cold start, exec to the
port line, of the static linux-amd64 release binary against the dynamically linked development
build, and of the linux-arm64 release binary under qemu-user (emulated on this x86-64 machine,
so its time says the binary starts there, not how fast it starts on real arm64). Runs are
interleaved so that both amd64 binaries see the same machine. Prints a Markdown table.

    tests/bench/release.sh        (builds the release tarballs, then runs this)
"""
import os
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
    root_arm64 = subprocess.run(["bash", str(REPO / "tools/release/make-minbase-root.sh"), "arm64"],
                                check=True, text=True, capture_output=True).stdout.split()[-1]
    tmp = tempfile.TemporaryDirectory()
    work = Path(tmp.name)
    bins, tgz_size = {}, {}
    for arch in ("amd64", "arm64"):
        tgz = dist / f"pulumi-resource-secureapi-v{version}-linux-{arch}.tar.gz"
        tgz_size[arch] = tgz.stat().st_size
        with tarfile.open(tgz) as t:
            t.extractall(work / arch, filter="data")
        bins[arch] = work / arch / "pulumi-resource-secureapi"
    env = loopback_only_env(None)
    cases = {
        "development build, dynamic (amd64)": [str(dev)],
        "release, static (amd64)": [str(bins["amd64"])],
        "release, static (arm64 under qemu-user)": ["qemu-aarch64", "-L", root_arm64,
                                                    str(bins["arm64"])],
    }
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
    ratio = statistics.median(times["release, static (amd64)"]) / \
        statistics.median(times["development build, dynamic (amd64)"])
    print(f"\nstatic / dynamic, ratio of the medians (amd64, this run): {ratio:.2f}x")
    for arch in ("amd64", "arm64"):
        print(f"linux-{arch}: binary {bins[arch].stat().st_size / 1e6:.2f} MB stripped, "
              f"tarball {tgz_size[arch] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
