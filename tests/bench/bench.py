#!/usr/bin/env python3
"""The benchmark: plugin cold start, binary and library sizes, peak memory (one stack over its
whole lifecycle; twenty stacks in one program under the real CLI; of the development build and,
when SECUREAPI_BENCH_RELEASE_BUILD names its build folder, of the release binary users run: run.sh
builds it with tools/release/build-binary.sh), AWS calls per operation
against the minimum each needs, create time with latency injected against the critical path and
the serial sum, and the CLI steps of the TypeScript example. Writes report.md and create.png into
the output folder. Everything runs on loopback against moto; ratios come from one run.

    tests/bench/run.sh            (sets up the toolchain, then runs this)
    SECUREAPI_BENCH_ONLY=create tests/bench/run.sh
                                  (only create against the critical path: its table, and each
                                   create call's start and end at 50 ms, chain by chain)
    SECUREAPI_BENCH_ONLY=memory tests/bench/run.sh
                                  (only the peak memory rows: one stack and twenty stacks, each
                                   for the development build and the release binary; ~25 min:
                                   DeleteRestApi's 1-per-30-s pacing of the destroys)
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from harness.fault_proxy import FaultProxy  # noqa: E402
from harness.aws_validator import RECORDER  # noqa: E402
from harness.moto import MotoServer  # noqa: E402
from harness.plugin import loopback_only_env, Plugin, RecordingEngine, struct  # noqa: E402

TYPE = "secureapi:index:SecureApiStack"
BUILD = Path(os.environ.get("SECUREAPI_BUILD_DIR", REPO / "build")).resolve()
PLUGIN = BUILD / "provider" / "pulumi-resource-secureapi"
PULUMI_BIN = Path(os.environ["SECUREAPI_PULUMI_BIN"])
OUT = Path(os.environ.get("SECUREAPI_BENCH_OUT", BUILD / "bench"))
RUNS = int(os.environ.get("SECUREAPI_BENCH_STARTS", "100"))
ONLY = os.environ.get("SECUREAPI_BENCH_ONLY", "")
# the release binary (tools/release/build-binary.sh linux-amd64's folder), measured beside the dev build
RELEASE = os.environ.get("SECUREAPI_BENCH_RELEASE_BUILD")
RELEASE_PLUGIN = (Path(RELEASE).resolve() / "provider" / "pulumi-resource-secureapi"
                  if RELEASE else None)



def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# ---- 1. cold start ---------------------------------------------------------------------------
def cold_start():
    to_port, to_info = [], []
    env = loopback_only_env(None)
    for _ in range(RUNS):
        t0 = time.perf_counter()
        p = subprocess.Popen([str(PLUGIN)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=env)
        port = int(p.stdout.readline())
        t1 = time.perf_counter()
        ch = grpc.insecure_channel(f"127.0.0.1:{port}")
        provider_pb2_grpc.ResourceProviderStub(ch).GetPluginInfo(empty_pb2.Empty())
        t2 = time.perf_counter()
        ch.close()
        p.kill()
        p.wait()
        to_port.append((t1 - t0) * 1000)
        to_info.append((t2 - t0) * 1000)
    libs = subprocess.run(["ldd", str(PLUGIN)], capture_output=True, text=True).stdout
    paths = set(re.findall(r"=> (/\S+)", libs))
    closure = sum(os.path.getsize(os.path.realpath(x)) for x in paths)
    stripped = Path(tempfile.mkdtemp()) / "stripped"
    shutil.copy(PLUGIN, stripped)
    subprocess.run(["strip", str(stripped)], check=True)
    return {"to_port": to_port, "to_info": to_info, "binary": PLUGIN.stat().st_size,
            "stripped": stripped.stat().st_size, "libs": len(paths), "closure": closure}


# ---- helpers: moto behind the counting proxy, and the plugin driven over gRPC -------------------
class Env:
    def __init__(self):
        self.moto = MotoServer()
        self.moto.start()
        self.proxy = FaultProxy(self.moto.url)
        # moto builds each service's backend (IAM loads every managed policy) on first use,
        # which takes up to a second: do that before anything is timed
        for svc, call in [("iam", "list_roles"), ("apigateway", "get_rest_apis"),
                          ("resourcegroupstaggingapi", "get_resources"), ("kms", "list_keys"),
                          ("logs", "describe_log_groups"), ("lambda", "list_functions"),
                          ("sts", "get_caller_identity")]:
            getattr(self.moto.boto3_client(svc), call)()

    def stop(self):
        self.proxy.stop()
        self.moto.stop()

    def plugin_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.moto.client_env())
        env["AWS_ENDPOINT_URL"] = self.proxy.url
        return env


def vm_hwm(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def one_stack_lifecycle(e: Env, suffix="bench", plugin=PLUGIN):
    engine = RecordingEngine()
    p = Plugin(plugin, engine=engine, env=e.plugin_env())
    urn = f"urn:pulumi:bench::bench::{TYPE}::api"
    rows = {}

    def measure(name, fn):
        c0 = len(e.proxy.calls)
        t0 = time.perf_counter()
        r = fn()
        rows[name] = (len(e.proxy.calls) - c0, time.perf_counter() - t0)
        return r

    try:
        measure("configure", lambda: p.stub.Configure(provider_pb2.ConfigureRequest(
            args=struct({}), acceptSecrets=True)))
        inputs = p.stub.Check(provider_pb2.CheckRequest(
            urn=urn, olds=struct({}), news=struct({"environmentSuffix": suffix}), name="api",
            type=TYPE)).inputs
        t_calls = len(e.proxy.timings)
        created = measure("create", lambda: p.stub.Create(provider_pb2.CreateRequest(
            urn=urn, properties=inputs, name="api", type=TYPE)))
        read = measure("refresh", lambda: p.stub.Read(provider_pb2.ReadRequest(
            id=created.id, urn=urn, properties=created.properties, inputs=inputs, name="api",
            type=TYPE)))
        # taken once refresh is done: the proxy records a call's timing just after passing its
        # answer on, so the last create call's may not be there yet when Create returns
        create_calls = e.proxy.timings[t_calls:t_calls + rows["create"][0]]
        measure("no-op diff", lambda: p.stub.Diff(provider_pb2.DiffRequest(
            id=created.id, urn=urn, olds=read.properties, news=inputs, old_inputs=read.inputs,
            name="api", type=TYPE)))
        new = p.stub.Check(provider_pb2.CheckRequest(
            urn=urn, olds=inputs, news=struct({"environmentSuffix": suffix,
                                               "lambdaMemorySize": 512,
                                               "logRetentionInDays": 14}), name="api",
            type=TYPE)).inputs
        upd = measure("in-place update", lambda: p.stub.Update(provider_pb2.UpdateRequest(
            id=created.id, urn=urn, olds=read.properties, news=new, old_inputs=inputs,
            name="api", type=TYPE)))
        measure("delete", lambda: p.stub.Delete(provider_pb2.DeleteRequest(
            id=created.id, urn=urn, properties=upd.properties, name="api", type=TYPE)))
        peak = vm_hwm(p.proc.pid)
    finally:
        p.close()
        engine.stop()
    return rows, peak, create_calls


# ---- packaging a large folder ----------------------------------------------------------------
ARCHIVE_SIG = ("4dabf18193072939515e22adb298388d", "0def7320c3a5731c473e5ecbe6d01bc7")


def packaging_peak(work: Path, megabytes=200):
    """Peak RSS of the plugin before and after Check packages a folder of `megabytes` MB (200
    files of 1 MB: a random 16 KB block repeated, so the zip stays under Lambda's 50 MB and the
    whole folder is read, hashed and deflated). Returns (before, after, seconds, zip bytes)."""
    d = work / "big-code"
    d.mkdir()
    (d / "index.js").write_text("exports.handler = async () => ({statusCode: 200});\n")
    for i in range(megabytes):
        (d / f"blob-{i:03d}.bin").write_bytes(os.urandom(16384) * 64)
    engine = RecordingEngine()
    p = Plugin(PLUGIN, engine=engine, env=loopback_only_env(None))
    urn = f"urn:pulumi:bench::bench::{TYPE}::api"
    try:
        # no AWS call is made: packaging is all of Check
        p.stub.Configure(provider_pb2.ConfigureRequest(
            args=struct({"skipCredentialsValidation": "true"}), acceptSecrets=True))
        before = vm_hwm(p.proc.pid)
        t0 = time.perf_counter()
        r = p.stub.Check(provider_pb2.CheckRequest(
            urn=urn, olds=struct({}), name="api", type=TYPE, news=struct({
                "environmentSuffix": "bench",
                "lambdaCode": {ARCHIVE_SIG[0]: ARCHIVE_SIG[1], "path": str(d)}})))
        seconds = time.perf_counter() - t0
        assert not r.failures, r.failures
        after = vm_hwm(p.proc.pid)
    finally:
        p.close()
        engine.stop()
    return before, after, seconds, megabytes


# ---- the critical path of create --------------------------------------------------------------
# The longest chain of calls that must run one after another, whatever the implementation, at
# their measured durations. Two chains run side by side: the REST API, its {proxy+} resource, a
# method, its integration, the deployment and the stage (integrations name the function's ARN,
# which is known in advance, so they need not wait for it); and the function, which needs its
# role and its encrypted log group (so the key before that), followed by the invoke permission.
def critical_seconds(calls, latency):
    def d(pred):
        ds = [t for op, t in calls if pred(op)]
        return (max(ds) if ds else 0.0) + latency

    api = (d(lambda o: o == "POST /restapis")
           + d(lambda o: re.fullmatch(r"POST /restapis/[^/]+/resources/[^/]+", o) is not None)
           + d(lambda o: o.endswith("/methods/ANY"))
           + d(lambda o: o.endswith("/methods/ANY/integration"))
           + d(lambda o: o.endswith("/deployments"))
           + d(lambda o: o.endswith("/stages")))
    function = (max(d(lambda o: o == "CreateKey") + d(lambda o: o == "CreateLogGroup"),
                    d(lambda o: o == "CreateRole"))
                + d(lambda o: o == "POST /2015-03-31/functions")
                + d(lambda o: o.endswith("/policy")))
    return max(api, function)


def create_table(rows):
    md = ["| latency (ms) | create (s) | critical path (s) | serial sum (s) | create / critical | "
          "create / serial | calls |", "|---|---|---|---|---|---|---|"]
    for lat, wall, crit, serial, n in rows:
        md.append(f"| {lat * 1000:.0f} | {wall:.3f} | {crit:.3f} | {serial:.3f} | "
                  f"{wall / crit:.2f} | {wall / serial:.2f} | {n} |")
    return md


def create_spans(latency=0.05):
    """One create at `latency` with each AWS call's start and end (ms from the first call's
    start) as the proxy saw them: where the time goes beyond the critical path."""
    spans = []
    e = Env()
    orig = e.proxy.forwarded

    def forwarded(req, reply):
        spans.append((e.proxy._local.op, e.proxy._local.t0 - e.proxy.latency, time.monotonic()))
        return orig(req, reply)
    e.proxy.forwarded = forwarded
    try:
        e.proxy.latency = latency
        rows, _, calls = one_stack_lifecycle(e, suffix="spans")
    finally:
        e.stop()
    created = spans[1:1 + rows["create"][0]]  # after Configure's STS call
    t0 = min(a for _, a, _ in created)
    return [f"{(a - t0) * 1000:7.1f} {(b - t0) * 1000:7.1f}  {op}" for op, a, b in created]


def create_vs_latency(latencies):
    rows = []
    for lat in latencies:
        e = Env()
        try:
            e.proxy.latency = lat
            r, _, calls = one_stack_lifecycle(e, suffix=f"lat{int(lat * 1000)}")
            wall = r["create"][1]
            serial = sum(t for _, t in calls) + lat * len(calls)
            critical = critical_seconds(calls, lat)
            rows.append((lat, wall, critical, serial, len(calls)))
        finally:
            e.stop()
    return rows


# ---- the real CLI: calls per CLI operation, twenty stacks, CLI steps -----------------------------
def cli(work: Path, e: Env, plugin=PLUGIN):
    state = work / "state"
    state.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
    env.update(e.moto.client_env())
    env.update({"AWS_ENDPOINT_URL": e.proxy.url,
                "PATH": f"{plugin.parent}:{PULUMI_BIN}:{env['PATH']}",
                "PULUMI_HOME": str(work / "home"), "PULUMI_BACKEND_URL": f"file://{state}",
                "PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                # moto enforces no request quotas: pacing at AWS's rates would only make the
                # twenty-stack destroy wait 30 s per DeleteRestApi (quota_cli.py measures that)
                "PULUMI_SECUREAPI_API_RATE_SCALE": "1000"})

    def run(proj, *args, logged=False):
        t0 = time.perf_counter()
        r = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=proj, env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"pulumi {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
        wall = time.perf_counter() - t0
        return (wall, r.stdout + r.stderr) if logged else wall
    return run


def plugin_pids(plugin: Path = PLUGIN):
    """The ids of every running process whose executable is `plugin`."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/exe") == str(plugin):
                    out.append(int(pid))
            except OSError:
                pass
    return out


class PeakRss:
    """Samples VmHWM of every process running `binary` every 20 ms until stopped."""

    def __init__(self, binary: Path = PLUGIN):
        self.binary, self.peak, self._stop = binary, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.is_set():
            for pid in plugin_pids(self.binary):
                self.peak = max(self.peak, vm_hwm(pid))
            self._stop.wait(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def twenty_stacks(work: Path, plugin=PLUGIN):
    e = Env()
    try:
        run = cli(work, e, plugin)
        proj = work / "twenty"
        proj.mkdir()
        res = "\n".join(f"""  api{i}:
    type: secureapi:index:SecureApiStack
    properties:
      environmentSuffix: s{i}""" for i in range(20))
        (proj / "Pulumi.yaml").write_text(f"name: twenty\nruntime: yaml\nresources:\n{res}\n")
        run(proj, "stack", "init", "bench")
        peak = PeakRss(plugin)
        e.proxy.latency = 0.05
        calls0 = len(e.proxy.calls)
        t_up = run(proj, "up", "--yes", "--skip-preview", "--parallel", "20")
        calls = len(e.proxy.calls) - calls0
        e.proxy.latency = 0
        run(proj, "destroy", "--yes", "--skip-preview")
        return peak.stop(), t_up, calls
    finally:
        e.stop()


def cli_operations(work: Path):
    """AWS calls per CLI operation on the YAML example (no npm needed), counted at the proxy."""
    e = Env()
    try:
        run = cli(work, e)
        proj = work / "yaml"
        shutil.copytree(REPO / "examples/yaml", proj)
        run(proj, "stack", "init", "ops")
        run(proj, "config", "set", "environmentSuffix", "ops")
        rows = []
        for name, args in [("up (create)", ["up", "--yes", "--skip-preview"]),
                           ("refresh", ["refresh", "--yes", "--skip-preview"]),
                           ("preview, no change", ["preview"]),
                           ("up, no change", ["up", "--yes", "--skip-preview"]),
                           ("up, step2 (in place)", None),
                           ("destroy", ["destroy", "--yes", "--skip-preview"])]:
            if args is None:
                for f in (proj / "step2").iterdir():
                    shutil.copy(f, proj / f.name)
                args = ["up", "--yes", "--skip-preview"]
            c0 = len(e.proxy.calls)
            t = run(proj, *args)
            rows.append((name, len(e.proxy.calls) - c0, t))
        return rows
    finally:
        e.stop()


def typescript_split(work: Path):
    """preview and up of the TypeScript example: wall time, and the time the plugin spent in its
    RPCs (from its own debug log, shown by the CLI with --logflow -v=1 --debug); the rest is
    the engine, the language host and Node.js running the program."""
    e = Env()
    try:
        run = cli(work, e)
        subprocess.run(["bash", str(REPO / "tools/sdk/build-sdk.sh")], check=True,
                       capture_output=True)
        proj = work / "typescript"
        shutil.copytree(REPO / "examples/typescript", proj,
                        ignore=shutil.ignore_patterns("node_modules", "bin"))
        pkg = json.loads((proj / "package.json").read_text())
        pkg["dependencies"]["pulumi-secureapi"] = f"file:{REPO / 'sdk-shim/nodejs/bin'}"
        (proj / "package.json").write_text(json.dumps(pkg, indent=2))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                        "--loglevel=error", "--prefer-offline"], cwd=proj, check=True,
                       capture_output=True)
        run(proj, "stack", "init", "split")
        run(proj, "config", "set", "environmentSuffix", "split")
        rows = []
        for name, args in [("preview", ["preview"]), ("up", ["up", "--yes", "--skip-preview"]),
                           ("up, no change", ["up", "--yes", "--skip-preview"])]:
            wall, log = run_logged(run, proj, args)
            plugin_ms = sum(float(m) for m in re.findall(
                r"pulumi-resource-secureapi: rpc /pulumirpc\.ResourceProvider/\w+ done in "
                r"([0-9.]+) ms", log))
            rows.append((name, wall, plugin_ms / 1000))
        run(proj, "destroy", "--yes", "--skip-preview")
        return rows
    finally:
        e.stop()


def run_logged(run, proj, args):
    """Runs pulumi with the plugin's log flowing to stderr; returns (wall seconds, log)."""
    return run(proj, *args, "--logflow", "-v=1", "--debug", logged=True)


MINIMUM = {
    # every call the operation cannot do without, written out:
    "up (create)": (20, "STS GetCallerIdentity (provider check); CreateKey, EnableKeyRotation, "
                        "CreateAlias; CreateLogGroup, PutRetentionPolicy; CreateRole, PutRolePolicy; "
                        "CreateFunction; AddPermission; CreateRestApi, CreateResource, PutMethod x2, "
                        "PutIntegration x2, CreateDeployment, CreateStage (17 creates); the two "
                        "searches that find what an interrupted run made (tag:GetResources for the "
                        "key, GetRestApis beside CreateRestApi): a killed run's next Create comes "
                        "with no state, so only they keep it from making a second stack"),
    "refresh": (13, "STS; one read per fact shown: DescribeKey, GetKeyRotationStatus, ListAliases, "
                    "DescribeLogGroups, GetRole, ListRolePolicies, ListAttachedRolePolicies, "
                    "GetFunction, GetPolicy, GetRestApi, GetResources, GetStage"),
    "preview, no change": (1, "STS (provider check); Check and Diff make none"),
    "up, no change": (1, "STS (provider check)"),
    "up, step2 (in place)": (3, "STS; UpdateFunctionConfiguration, PutRetentionPolicy"),
    "destroy": (8, "STS; DeleteRestApi, DeleteFunction, DeleteLogGroup, DeleteRolePolicy, "
                   "DeleteRole, DeleteAlias, ScheduleKeyDeletion"),
}


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    lat = [r[0] * 1000 for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(lat, [r[2] for r in rows], "o-", label="critical path (calls that must run in a row)")
    ax.plot(lat, [r[1] for r in rows], "o-", label="pulumi-resource-secureapi create")
    ax.plot(lat, [r[3] for r in rows], "o-", label="all create calls one after another")
    ax.set_xlabel("latency added to every AWS call (ms)")
    ax.set_ylabel("create wall time (s)")
    ax.set_title("SecureApiStack create against moto, latency injected on loopback")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def peak_memory(work: Path, plugin: Path):
    """(one stack's peak, twenty stacks' peak) of this build's plugin, bytes."""
    e = Env()
    try:
        _, peak1, _ = one_stack_lifecycle(e, plugin=plugin)
    finally:
        e.stop()
    work.mkdir(exist_ok=True)
    return peak1, twenty_stacks(work, plugin)[0]


def memory_table(dev, release):
    """The peak memory rows: dev and release (None when no release build was given)."""
    rel = (lambda i: f"**{release[i] / 1e6:.1f} MB**") if release else (lambda i: "not measured")
    return ["| peak RSS (VmHWM) of the plugin | release binary (static but glibc, non-PIE: "
            "what users run) | dev build (dynamic, debugoptimized) |",
            "|---|---|---|",
            f"| one stack, create + refresh + update + delete | {rel(0)} | {dev[0] / 1e6:.1f} MB |",
            "| twenty stacks in one program (`pulumi up --parallel 20`, 50 ms latency) | "
            f"{rel(1)} | {dev[1] / 1e6:.1f} MB |", "",
            "pulumi-aws: 300-430 MB per process. "
            + ("" if release else "Release binary: set SECUREAPI_BENCH_RELEASE_BUILD (run.sh "
               "does). ")
            + "Where the memory goes: tests/bench/memory-study.md."]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if ONLY == "create":
        print("\n".join(create_table(create_vs_latency([0.0, 0.025, 0.05, 0.1]))))
        print("\ncreate calls at 50 ms (start, end in ms; op):")
        print("\n".join(create_spans()))
        return 0 if RECORDER.report() else 1
    work = Path(tempfile.mkdtemp(prefix="secureapi-bench-"))
    if ONLY == "memory":
        try:
            dev = peak_memory(work / "dev", PLUGIN)
            rel = peak_memory(work / "release", RELEASE_PLUGIN) if RELEASE_PLUGIN else None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print("\n".join(memory_table(dev, rel)))
        return 0 if RECORDER.report() else 1
    try:
        cs = cold_start()
        e = Env()
        try:
            rpc_rows, peak1, _ = one_stack_lifecycle(e)
        finally:
            e.stop()
        lat_rows = create_vs_latency([0.0, 0.025, 0.05, 0.1])
        cli_rows = cli_operations(work)
        peak20, up20, calls20 = twenty_stacks(work)
        rel = peak_memory(work / "release", RELEASE_PLUGIN) if RELEASE_PLUGIN else None
        ts_rows = typescript_split(work)
        pk = packaging_peak(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    chart(lat_rows, OUT / "create.png")
    at50 = next(r for r in lat_rows if abs(r[0] - 0.05) < 1e-9)
    md = ["# pulumi-resource-secureapi benchmark", "",
          f"One run on {os.uname().nodename}, {os.cpu_count()} cores, moto on loopback. "
          "Regenerate with `tests/bench/run.sh`.", "",
          "## Plugin cold start", "",
          "| measure | median | p10 | p90 |", "|---|---|---|---|",
          f"| exec to port line (ms, {RUNS} runs) | {statistics.median(cs['to_port']):.1f} | "
          f"{pct(cs['to_port'], 10):.1f} | {pct(cs['to_port'], 90):.1f} |",
          f"| exec to first GetPluginInfo answered (ms) | {statistics.median(cs['to_info']):.1f} | "
          f"{pct(cs['to_info'], 10):.1f} | {pct(cs['to_info'], 90):.1f} |", "",
          f"Binary: {cs['binary'] / 1e6:.2f} MB as built (debug info), {cs['stripped'] / 1e6:.2f} MB "
          f"stripped; it loads {cs['libs']} shared libraries totalling {cs['closure'] / 1e6:.1f} MB. "
          "pulumi-aws, for comparison, downloads 137 MB and takes about 1.7 s to start.", "",
          "## Peak memory (RSS) of the plugin", ""] + memory_table((peak1, peak20), rel) + [
          "",
          f"Packaging a {pk[3]} MB folder of Lambda code (Check, {pk[2]:.1f} s, dev build): "
          f"**{pk[1] / 1e6:.1f} MB** ({pk[0] / 1e6:.1f} MB before it; the zip is streamed "
          "through a temporary file)", "",
          "## AWS calls per operation (real CLI, YAML example, counted at the proxy)", "",
          "| operation | calls | minimum | wall time (s) | the minimum |", "|---|---|---|---|---|"]
    for name, calls, t in cli_rows:
        m = MINIMUM[name]
        md.append(f"| {name} | {calls} | {m[0]} | {t:.2f} | {m[1]} |")
    md += ["", "## Create against the critical path", "",
           "Latency added to every AWS call at the proxy. Critical path: the longest chain of calls "
           "that must run in a row whatever the implementation (REST API -> resource -> method -> "
           "integration -> deployment -> stage, beside key -> log group (or role) -> function -> "
           "permission), at the measured durations. Serial sum: every create call one after another.",
           ""] + create_table(lat_rows)
    md += ["", f"At 50 ms: create {at50[1]:.2f} s = **{at50[1] / at50[2]:.2f}x the critical path** "
           f"and **{at50[1] / at50[3]:.2f}x the serial sum**.", "",
           f"Twenty stacks in one program at 50 ms: `pulumi up --parallel 20` {up20:.1f} s for "
           f"{calls20} AWS calls.", "",
           "![create time vs latency](create.png)", "",
           "## End to end: the TypeScript example (real CLI, no latency)", "",
           "Plugin time is the sum of its RPC handlers' durations from its own debug log; the "
           "rest is the engine, the nodejs language host and Node.js running the program "
           "(the CLI's logs do not split those two further).", "",
           "| command | wall (s) | plugin (s) | engine + language host + program (s) |",
           "|---|---|---|---|"]
    for name, wall, plug in ts_rows:
        md.append(f"| pulumi {name} | {wall:.2f} | {plug:.3f} | {wall - plug:.2f} |")
    md += ["", "## gRPC lifecycle of one stack (no CLI, no latency)", "",
           "| operation | AWS calls | wall time (s) |", "|---|---|---|"]
    for name, (calls, t) in rpc_rows.items():
        md.append(f"| {name} | {calls} | {t:.3f} |")
    (OUT / "report.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    print(f"\nwrote {OUT / 'report.md'} and {OUT / 'create.png'}")
    return 0 if RECORDER.report() else 1


if __name__ == "__main__":
    sys.exit(main())
