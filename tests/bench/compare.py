#!/usr/bin/env python3
"""Two builds of the plugin side by side in one run, for a change that must not cost anything (a
refactor, a new dependency): cold start (to the port line, and to a GetPluginInfo answer), peak
RSS over one stack's whole lifecycle against moto, and create time against moto with latency
injected, each measured alternately on the two builds so both see the same machine load. Prints
a Markdown table with the medians and the ratio new/old.

    tests/bench/compare.sh OLD_BUILD_DIR [NEW_BUILD_DIR]

OLD_BUILD_DIR is a meson build directory of another checkout (e.g. `git worktree add /tmp/old
<commit> && meson setup /tmp/old/build /tmp/old && meson compile -C /tmp/old/build`). The old
build's requests are validated against the botocore models in record mode (an old build may
make requests the validator would refuse)."""
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("SECUREAPI_AWS_VALIDATION", "record")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

STARTS = int(os.environ.get("SECUREAPI_BENCH_STARTS", "60"))
LIFECYCLES = int(os.environ.get("SECUREAPI_BENCH_LIFECYCLES", "5"))
LATENCY = float(os.environ.get("SECUREAPI_BENCH_LATENCY", "0.05"))


def plugin_of(build: Path) -> Path:
    p = build / "provider" / "pulumi-resource-secureapi"
    if not p.exists():
        p = build / "pulumi-resource-secureapi"  # builds from before provider/meson.build
    if not p.exists():
        sys.exit(f"compare: no plugin binary in {build}")
    return p


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    builds = {"old": plugin_of(Path(sys.argv[1]).resolve()),
              "new": plugin_of(Path(sys.argv[2] if len(sys.argv) > 2 else bench.BUILD).resolve())}
    bench.RUNS = 1
    starts = {k: ([], []) for k in builds}
    for _ in range(STARTS):
        for k, plugin in builds.items():
            bench.PLUGIN = plugin
            r = bench.cold_start()
            starts[k][0].extend(r["to_port"])
            starts[k][1].extend(r["to_info"])
    rss = {k: [] for k in builds}
    create = {k: [] for k in builds}
    e = bench.Env()
    try:
        e.proxy.latency = LATENCY
        for i in range(LIFECYCLES):
            for k, plugin in builds.items():
                bench.PLUGIN = plugin
                rows, peak, _ = bench.one_stack_lifecycle(e, suffix=f"{k}{i}")
                rss[k].append(peak)
                create[k].append(rows["create"][1])
    finally:
        e.stop()

    def line(name, unit, old, new, fmt):
        mo, mn = statistics.median(old), statistics.median(new)
        return f"| {name} | {fmt(mo)} {unit} | {fmt(mn)} {unit} | {mn / mo:.2f} |"

    ms = lambda x: f"{x:.1f}"  # noqa: E731
    print(f"old: {builds['old']}\nnew: {builds['new']}\n")
    print("| measure (median) | old | new | new/old |\n|---|---|---|---|")
    print(line(f"cold start to port ({STARTS} runs)", "ms", starts["old"][0], starts["new"][0], ms))
    print(line(f"cold start to GetPluginInfo ({STARTS} runs)", "ms", starts["old"][1],
               starts["new"][1], ms))
    print(line(f"peak RSS, one stack's lifecycle ({LIFECYCLES} runs)", "MiB",
               [x / 2**20 for x in rss["old"]], [x / 2**20 for x in rss["new"]], ms))
    print(line(f"create, {LATENCY * 1000:.0f} ms latency per call ({LIFECYCLES} runs)", "s",
               create["old"], create["new"], lambda x: f"{x:.2f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
