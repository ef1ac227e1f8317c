#!/usr/bin/env python3
"""Where the plugin's resident memory goes: drives one stack's lifecycle exactly as
bench.py's one_stack_lifecycle does (moto behind the counting proxy, the harness Plugin and
RecordingEngine, bench.Env) and, after the port line, Configure, Create, Read, Update and Delete,
reads /proc/<pid>/smaps and status and groups every mapping's Rss into components: the binary,
each shared library (text and data, private and shared pages), [heap] (the main malloc arena),
other glibc malloc arenas (64 MB-aligned anonymous heaps), thread stacks (anonymous mappings
right after a guard page), other anonymous memory; with VmRSS, VmHWM and the threads by name.
`--env NAME=VALUE` (repeatable) adds variables to the plugin's environment (MALLOC_ARENA_MAX,
MALLOC_TRIM_THRESHOLD_, GRPC_*), `--wrapper "valgrind --tool=massif ..."` runs it under a
wrapper, `--stacks N` runs N stacks side by side in one plugin (each step for all N at once,
as the CLI's --parallel does), `--json FILE` writes the snapshots. Prints the libraries grouped
as in memory-study.md, then every mapping group. Run with the project's venv python after
`build_plugin` (tools/setup/common.sh); SECUREAPI_BUILD_DIR names the build.
"""
import argparse
import collections
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("SECUREAPI_PULUMI_BIN", "/nonexistent")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from bench import Env, PLUGIN, TYPE  # noqa: E402
from harness.plugin import Plugin, RecordingEngine, struct  # noqa: E402
from pulumi.runtime.proto import provider_pb2  # noqa: E402

ARENA_KB = 65536  # glibc's HEAP_MAX_SIZE on 64-bit: a non-main arena's reservation


def read_maps(pid):
    """[(range, perms, path, {field: kB})] from /proc/<pid>/smaps."""
    out, cur = [], None
    for line in open(f"/proc/{pid}/smaps"):
        parts = line.split()
        if "-" in parts[0] and not parts[0].endswith(":"):
            cur = (parts[0], parts[1], parts[5] if len(parts) > 5 else "", {})
            out.append(cur)
        elif parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
            cur[3][parts[0][:-1]] = int(parts[1])
    return out


def classify(maps, exe):
    """Sums Rss (kB) by component and private/shared; returns {component: Counter}."""
    comp = collections.defaultdict(collections.Counter)
    for i, (rng, perms, path, f) in enumerate(maps):
        prev = maps[i - 1] if i else None
        nxt = maps[i + 1] if i + 1 < len(maps) else None
        if path == exe:
            name = "binary " + ("text" if "x" in perms else "data")
        elif path.startswith("/"):
            name = os.path.basename(path).split(".so")[0] + (
                " text" if "x" in perms else " ro" if "w" not in perms else " data")
        elif path == "[heap]":
            name = "[heap] (main arena)"
        elif path.startswith("[stack"):
            name = "main thread stack"
        elif path.startswith("["):
            name = path
        elif perms.startswith("rw") and nxt and nxt[1].startswith("---") and not nxt[2] and \
                f["Size"] + nxt[3]["Size"] == ARENA_KB:
            name = "malloc arenas (non-main)"
        elif perms.startswith("rw") and f["Size"] == ARENA_KB:
            name = "malloc arenas (non-main)"
        elif perms.startswith("rw") and prev and prev[1].startswith("---") and not prev[2] and \
                prev[3]["Size"] in (4, 64) and f["Size"] >= 1024:
            name = "thread stacks"
        elif perms.startswith("---"):
            name = "guard/reserved"
        else:
            name = "other anonymous (mmap'd malloc, gRPC, ...)"
        c = comp[name]
        c["rss"] += f.get("Rss", 0)
        c["private"] += f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)
        c["shared"] += f.get("Shared_Clean", 0) + f.get("Shared_Dirty", 0)
        c["size"] += f.get("Size", 0)
        c["n"] += 1
    return comp


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads", "VmSize"):
            out[k] = int(v.split()[0])
    for line in open(f"/proc/{pid}/smaps_rollup"):
        k, _, v = line.partition(":")
        if k in ("Pss", "Private_Clean", "Private_Dirty"):
            out[k] = int(v.split()[0])
    out["Private"] = out.pop("Private_Clean", 0) + out.pop("Private_Dirty", 0)
    return out


def threads(pid):
    names = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            names[open(f"/proc/{pid}/task/{tid}/comm").read().strip()] += 1
        except OSError:
            pass
    return dict(names)


def snapshot(pid, exe, label):
    time.sleep(0.3)  # let detached RPC workers finish and exit
    comp = classify(read_maps(pid), exe)
    return {"point": label, "status": status(pid), "threads": threads(pid),
            "components": {k: dict(v) for k, v in comp.items()}}


def lifecycle(e, extra_env, wrapper, suffix="memstudy", n_stacks=1):
    engine = RecordingEngine()
    env = e.plugin_env()
    env.update(extra_env)
    p = Plugin(PLUGIN, engine=engine, env=env, wrapper=wrapper)
    exe = os.readlink(f"/proc/{p.proc.pid}/exe") if not wrapper else str(PLUGIN)
    urn = f"urn:pulumi:bench::bench::{TYPE}::api"
    snaps = []
    stacks = [f"{suffix}{i}" if n_stacks > 1 else suffix for i in range(n_stacks)]
    pool = ThreadPoolExecutor(max_workers=n_stacks)

    def each(fn, items):
        return list(pool.map(fn, items))

    def check(sfx, olds, news):
        return p.stub.Check(provider_pb2.CheckRequest(
            urn=urn, olds=olds, news=struct(news), name="api", type=TYPE)).inputs

    try:
        snaps.append(snapshot(p.proc.pid, exe, "start"))
        p.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True))
        snaps.append(snapshot(p.proc.pid, exe, "configure"))
        inputs = each(lambda sfx: check(sfx, struct({}), {"environmentSuffix": sfx}), stacks)
        created = each(lambda i: p.stub.Create(provider_pb2.CreateRequest(
            urn=urn, properties=i, name="api", type=TYPE)), inputs)
        snaps.append(snapshot(p.proc.pid, exe, "create"))
        read = each(lambda a: p.stub.Read(provider_pb2.ReadRequest(
            id=a[0].id, urn=urn, properties=a[0].properties, inputs=a[1], name="api",
            type=TYPE)), list(zip(created, inputs)))
        each(lambda a: p.stub.Diff(provider_pb2.DiffRequest(
            id=a[0].id, urn=urn, olds=a[1].properties, news=a[2], old_inputs=a[1].inputs,
            name="api", type=TYPE)), list(zip(created, read, inputs)))
        new = each(lambda a: check(a[0], a[1], {"environmentSuffix": a[0],
                                                "lambdaMemorySize": 512,
                                                "logRetentionInDays": 14}),
                   list(zip(stacks, inputs)))
        upd = each(lambda a: p.stub.Update(provider_pb2.UpdateRequest(
            id=a[0].id, urn=urn, olds=a[1].properties, news=a[2], old_inputs=a[3],
            name="api", type=TYPE)), list(zip(created, read, new, inputs)))
        snaps.append(snapshot(p.proc.pid, exe, "update"))
        each(lambda a: p.stub.Delete(provider_pb2.DeleteRequest(
            id=a[0].id, urn=urn, properties=a[1].properties, name="api", type=TYPE)),
             list(zip(created, upd)))
        snaps.append(snapshot(p.proc.pid, exe, "delete"))
    finally:
        if wrapper and p.alive():
            p.signal(signal.SIGTERM)  # a clean exit, so massif writes its file
            try:
                p.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        pool.shutdown()
        p.close()
        engine.stop()
    return snaps


GROUPS = [
    (r"lib(grpc|gpr|absl|upb|re2|cares|address_sorting|stdc\+\+|gcc_s)",
     "gRPC core + abseil/upb/re2/c-ares + libstdc++"),
    (r"lib(crypto|ssl)$", "OpenSSL (libcrypto, libssl)"),
    (r"lib(curl|gnutls|p11-kit|nettle|hogweed|gmp|tasn1|krb5|gssapi|k5crypto|ldap|lber|sasl2|"
     r"ssh2|rtmp|idn2|unistring|psl|nghttp2|brotli|zstd|com_err|keyutils|resolv|ffi)",
     "libcurl + its deps (gnutls, krb5, ldap, ssh2, ...)"),
    (r"lib(xml2|icu|lzma)", "libxml2 + ICU + lzma"),
    (r"lib(archive|lz4|bz2|acl|b2|z$|md|bsd|pcre2|cjson|protobuf-c)",
     "libarchive, zlib, pcre2, cJSON, protobuf-c"),
    (r"(libc$|libm$|ld-linux|\[v)", "glibc (libc, libm, ld.so, vdso)"),
    (r"binary", "the plugin binary"),
]


def group(component):
    base = component.rsplit(" ", 1)[0] if component.endswith((" text", " ro", " data")) \
        else component
    for pattern, name in GROUPS:
        if re.match(pattern, base):
            return name
    return base if not base.startswith("lib") else "other libraries"


def grouped(snaps):
    rows = collections.defaultdict(lambda: [0] * len(snaps))
    for i, s in enumerate(snaps):
        for k, v in s["components"].items():
            rows[group(k)][i] += v["rss"]
    lines = [f"{'group (MB)':52}" + "".join(f"{s['point']:>10}" for s in snaps)]
    for k, v in sorted(rows.items(), key=lambda kv: -kv[1][-1]):
        lines.append(f"{k[:52]:52}" + "".join(f"{x / 1024:10.2f}" for x in v))
    return "\n".join(lines)


def table(snaps, top=22):
    pts = [s["point"] for s in snaps]
    last = snaps[-1]["components"]
    keys = sorted({k for s in snaps for k in s["components"]},
                  key=lambda k: -max(s["components"].get(k, {}).get("rss", 0) for s in snaps))
    lines = [f"{'component':44}" + "".join(f"{p:>10}" for p in pts) + "   priv/shared@last (kB)"]
    for k in keys[:top]:
        row = "".join(f"{s['components'].get(k, {}).get('rss', 0) / 1024:10.2f}" for s in snaps)
        c = last.get(k, {})
        lines.append(f"{k[:44]:44}{row}   {c.get('private', 0)}/{c.get('shared', 0)}")
    rest = [k for k in keys[top:]]
    if rest:
        row = "".join(f"{sum(s['components'].get(k, {}).get('rss', 0) for k in rest) / 1024:10.2f}"
                      for s in snaps)
        lines.append(f"{f'({len(rest)} smaller)':44}{row}")
    for f in ("VmRSS", "VmHWM", "Pss", "Private", "RssAnon", "RssFile", "Threads"):
        unit = 1 if f == "Threads" else 1024
        lines.append(f"{f:44}" + "".join(f"{s['status'].get(f, 0) / unit:10.2f}" for s in snaps))
    lines.append("threads at each point: " + "; ".join(
        f"{s['point']}: " + ", ".join(f"{n}x{c}" for n, c in sorted(s["threads"].items()))
        for s in snaps))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the plugin")
    ap.add_argument("--wrapper", default="", help="command the plugin runs under")
    ap.add_argument("--json", help="write the snapshots here")
    ap.add_argument("--stacks", type=int, default=1,
                    help="stacks side by side in one plugin (each step run concurrently)")
    ap.add_argument("--repeat", type=int, default=1, help="lifecycles (fresh plugin each)")
    a = ap.parse_args()
    extra = dict(x.split("=", 1) for x in a.env)
    e = Env()
    try:
        runs = [lifecycle(e, extra, shlex.split(a.wrapper) or None, suffix=f"ms{i}",
                          n_stacks=a.stacks)
                for i in range(a.repeat)]
    finally:
        e.stop()
    print(f"plugin {bench.PLUGIN} env {extra or '-'}")
    for snaps in runs:
        print(grouped(snaps))
        print()
        print(table(snaps))
    if a.json:
        Path(a.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
