#!/usr/bin/env python3
"""Benchmark of pacing against AWS's request quotas under the real Pulumi CLI: N SecureApiStacks
in one Pulumi YAML program, `pulumi up --parallel N` and then `pulumi destroy --parallel N`, with
50 ms added to every AWS call (a FaultProxy) in front of the quota proxy (tests/harness/
quota_proxy.py: AWS's published rates and throttling answers) in front of moto. It is
quota_pacing.py's measurement (same quota-bound minimum, from its `phase()`) with the engine, the
YAML language host and the CLI's own scheduling in the loop instead of raw gRPC. For each N and
each plugin build it reports, per phase, wall time, AWS calls (allowed and throttled), 429s, failed
stacks (from the stack's state after the command; a failing command is recorded, not fatal), the
quota-bound minimum, wall/minimum and the plugin's peak RSS (VmHWM of every process running the
build's binary). Every (N, build) run gets its own moto, proxies, PULUMI_HOME and state. The
markdown table goes to stdout and to --out; each command's output and the per-class call counts
go beside it in <out>-logs/.

    export SECUREAPI_PULUMI_BIN=$(ls -d ~/.cache/pulumi-secureapi/pulumi-v*/bin)
    $(bash tools/setup/setup-venv.sh | tail -1)/bin/python tests/bench/quota_cli.py \\
        [--stacks 1,10,50] [--scale 1] [--build build] [--off-build DIR] \\
        [--out build/bench/quota_cli.md] [--latency 0.05] [--timeout 5400]

--build is the "pacing on" build, --off-build (optional) a build from before pacing existed.
--scale 1 (the default) is AWS's real rates: DeleteRestApi is 1 per 30 s per account, so a
50-stack destroy with pacing takes about 25 minutes. With another --scale the quota proxy's rates
are multiplied by it and the "on" build is told the same (PULUMI_SECUREAPI_API_RATE_SCALE); the
plugin's retry budgets are not scaled, so a scale above 1 is kind to the off build.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "bench"))

if "SECUREAPI_PULUMI_BIN" not in os.environ:  # bench.py reads it on import
    raise SystemExit("SECUREAPI_PULUMI_BIN must name the Pulumi CLI's bin directory, e.g. "
                     "$(ls -d ~/.cache/pulumi-secureapi/pulumi-v*/bin)")

from harness.fault_proxy import FaultProxy  # noqa: E402
from harness.moto import MotoServer  # noqa: E402
from harness.quota_proxy import QuotaProxy  # noqa: E402
from harness.resource import TYPE  # noqa: E402
from bench import PULUMI_BIN, PeakRss  # noqa: E402
from quota_pacing import phase, snapshot  # noqa: E402

REGION = "us-east-1"
BINARY = Path("provider") / "pulumi-resource-secureapi"


def pulumi(proj: Path, env: dict, args: list[str], timeout: float) -> tuple[float, int, str]:
    """Runs `pulumi args` in its own process group; (wall seconds, exit code, output). A command
    past `timeout` is ended (its group: the CLI, language host and plugins) and reports -9."""
    t0 = time.monotonic()
    p = subprocess.Popen([str(PULUMI_BIN / "pulumi"), *args, "--non-interactive"], cwd=proj,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        out += f"\n[quota_cli: ended after {timeout:.0f} s]\n"
        rc = -9
    return time.monotonic() - t0, rc, out


def stacks_in_state(proj: Path, env: dict) -> tuple[int, int]:
    """(SecureApiStacks in the stack's state, those among them recorded with initErrors)."""
    _, rc, out = pulumi(proj, env, ["stack", "export"], 120)
    if rc != 0:
        return -1, -1
    resources = json.loads(out).get("deployment", {}).get("resources") or []
    ours = [r for r in resources if r.get("type") == TYPE]
    return len(ours), sum(1 for r in ours if r.get("initErrors"))


def errors(out: str) -> Counter:
    """The CLI's error diagnostics, counted (the same message for many stacks counts once per
    stack): each `error:` line, or for `error: N errors occurred:` the `* ...` lines under it."""
    found: Counter = Counter()
    lines = [line.strip() for line in out.splitlines()]
    for i, line in enumerate(lines):
        if not line.startswith("error:") or line == "error: update failed":
            continue
        if line.endswith("occurred:"):
            for sub in lines[i + 1:]:
                if not sub.startswith("* "):
                    break
                found[sub[2:][:300]] += 1
        else:
            found[line[:300]] += 1
    return found


def classes(quota: QuotaProxy, before, after) -> str:
    """Per (service, class): calls allowed and throttled within one phase."""
    keys = sorted(set(after[0]) | set(after[1]))
    rows = []
    for k in keys:
        a = after[0].get(k, 0) - before[0].get(k, 0)
        t = after[1].get(k, 0) - before[1].get(k, 0)
        if a or t:
            rows.append(f"  {k[0]} {k[1]}: {a} allowed, {t} throttled")
    return "\n".join(rows)


def run(build: Path, pacing: bool, n: int, scale: float, latency: float, timeout: float,
        logs: Path) -> dict:
    binary = (build / BINARY).resolve()
    if not binary.is_file():
        raise SystemExit(f"no plugin at {binary}: build it first (meson compile -C {build})")
    work = Path(tempfile.mkdtemp(prefix=f"quota_cli-{n}-{'on' if pacing else 'off'}-"))
    moto = MotoServer()
    moto.start()
    quota = fault = None
    try:
        quota = QuotaProxy(moto.url, scale=scale)
        fault = FaultProxy(quota.url)
        fault.latency = latency
        # moto builds each service's backend (IAM loads every managed policy) on first use:
        # done here, past the proxies, so it is neither timed nor counted
        for svc, call in [("iam", "list_roles"), ("apigateway", "get_rest_apis"),
                          ("kms", "list_keys"), ("logs", "describe_log_groups"),
                          ("lambda", "list_functions"), ("sts", "get_caller_identity")]:
            getattr(moto.boto3_client(svc, REGION), call)()
        state, proj = work / "state", work / "proj"
        state.mkdir()
        proj.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
        env.update(moto.client_env(REGION))
        env.update({"AWS_ENDPOINT_URL": fault.url,
                    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
                    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
                    "PATH": f"{binary.parent}:{PULUMI_BIN}:{env['PATH']}",
                    "PULUMI_HOME": str(work / "home"), "PULUMI_BACKEND_URL": f"file://{state}",
                    "PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_SKIP_UPDATE_CHECK": "true",
                    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"})
        if pacing and scale != 1:
            # the off build does not know the setting; at scale 1 the plugin's default holds
            env["PULUMI_SECUREAPI_API_RATE_SCALE"] = f"{scale:g}"
        res = "\n".join(f"  api{i}:\n    type: {TYPE}\n    properties:\n"
                        f"      environmentSuffix: s{i}" for i in range(n))
        (proj / "Pulumi.yaml").write_text(f"name: quotacli\nruntime: yaml\nresources:\n{res}\n")
        _, rc, out = pulumi(proj, env, ["stack", "init", "bench"], 120)
        if rc != 0:
            raise SystemExit(f"pulumi stack init failed:\n{out}")
        result = {}
        for name, args in (("up", ["up", "--yes", "--skip-preview", "--parallel", str(n)]),
                           ("destroy", ["destroy", "--yes", "--skip-preview", "--parallel",
                                        str(n)])):
            rss = PeakRss(binary)
            s0 = snapshot(quota)
            wall, rc, out = pulumi(proj, env, args, timeout)
            s1 = snapshot(quota)
            peak = rss.stop()
            total, broken = stacks_in_state(proj, env)
            if total < 0:
                failed = n  # no readable state: count every stack as failed
            elif name == "up":
                failed = n - total + broken
            else:
                failed = total
            r = phase(quota, s0, s1, wall, failed)
            r.update(rc=rc, rss=peak, errors=errors(out))
            result[name] = r
            log = logs / f"{n}-{'on' if pacing else 'off'}-{name}.log"
            log.write_text(f"$ pulumi {' '.join(args)}  (exit {rc}, {wall:.1f} s)\n{out}\n"
                           f"quota proxy, this phase:\n{classes(quota, s0, s1)}\n")
        return result
    finally:
        if fault is not None:
            fault.stop()
        if quota is not None:
            quota.stop()
        moto.stop()
        subprocess.run(["rm", "-rf", str(work)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stacks", default="1,10,50")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds added to each AWS call")
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--off-build")
    ap.add_argument("--out", default=str(REPO / "build" / "bench" / "quota_cli.md"))
    ap.add_argument("--only", choices=["on", "off"],
                    help="measure only this build (e.g. the off build first, the on build later)")
    ap.add_argument("--timeout", type=float, default=5400,
                    help="seconds one pulumi command may take before it is ended")
    a = ap.parse_args()
    builds = [(True, Path(a.build))]
    if a.off_build:
        builds.append((False, Path(a.off_build)))
    if a.only:
        builds = [b for b in builds if b[0] == (a.only == "on")]
    out = Path(a.out)
    logs = out.with_name(out.stem + "-logs")
    logs.mkdir(parents=True, exist_ok=True)

    lines = []

    def emit(line=""):
        lines.append(line)
        print(line, flush=True)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = shlex.join([Path(sys.executable).name, *sys.argv])
    emit("# Pacing against AWS's quotas under the real Pulumi CLI")
    emit()
    emit(f"`{cmd}`, {now}. N SecureApiStacks in one YAML program, `pulumi up --parallel N` then "
         f"`pulumi destroy --parallel N`; {a.latency * 1000:g} ms added to every AWS call; the "
         f"quota proxy at {a.scale:g}x AWS's rates in front of moto ({REGION}).")
    emit(f"Builds: pacing on = {Path(a.build).resolve()}"
         + (f"; pacing off = {Path(a.off_build).resolve()}" if a.off_build else "") + ".")
    if a.scale != 1:
        emit()
        emit(f"**WARNING: SCALED RUN ({a.scale:g}x). The quota proxy's rates and the on build's "
             f"apiRateScale are multiplied by {a.scale:g}, but the plugin's retry budgets "
             f"(backoff, deadlines) are NOT scaled: this is kind to the off build, whose retries "
             f"run out much sooner at AWS's real rates (--scale 1).**")
    emit()
    emit("Times in seconds. calls = allowed + throttled at the quota proxy; 429s = throttled; "
         "failed stacks from the state after the command (up: stacks missing or with init "
         "errors; destroy: stacks left); quota-bound minimum as quota_pacing.py computes it; "
         "peak RSS = the highest VmHWM of any plugin process during the phase.")
    emit()
    emit("| stacks | pacing | phase | wall | quota-bound minimum | wall/min | calls | allowed | "
         "429s | 429 share | failed stacks | CLI exit | plugin peak RSS (MiB) |")
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for n in [int(x) for x in a.stacks.split(",")]:
        for pacing, build in builds:
            label = "on" if pacing else "off"
            res = run(build, pacing, n, a.scale, a.latency, a.timeout, logs)
            for name in ("up", "destroy"):
                r = res[name]
                ratio = f"{r['wall'] / r['minimum']:.2f}" if r["minimum"] > 0 else "-"
                emit(f"| {n} | {label} | {name} | {r['wall']:.1f} | {r['minimum']:.1f} | {ratio} "
                     f"| {r['calls']} | {r['calls'] - r['throttled']} | {r['throttled']} | "
                     f"{r['throttled'] / max(r['calls'], 1):.1%} | {r['failed']} | {r['rc']} | "
                     f"{r['rss'] / 2**20:.1f} |")
                for msg, count in r["errors"].most_common(5):
                    notes.append(f"- {n} stacks, pacing {label}, {name}: {count}x `{msg}`")
    if notes:
        emit()
        emit(f"Errors the CLI reported (most frequent first, at most five per phase; whole "
             f"output in {logs}):")
        emit()
        for note in notes:
            emit(note)
    out.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
