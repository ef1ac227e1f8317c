"""Crash safety: the plugin is killed with SIGKILL in the middle of `pulumi up` (after the KMS key,
after the role, after the function, just before the stage). The documented recovery (run
`pulumi up` again) converges to one complete stack: every piece made before the crash is found
again under the stack's names and ownership tag (the key through the tagging API) rather than
made twice, so there is exactly one of each and no orphan; `pulumi destroy` then leaves nothing."""
import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from harness.fault_proxy import Fault, FaultProxy
from harness.projects import yaml_project
from harness.stack_checks import everything

POINTS = {
    "after the key": "EnableKeyRotation",
    "after the role": "PutRolePolicy",
    "after the function": r"POST /2015-03-31/functions/[^/]+/policy",
    "before the stage": r"POST /restapis/[^/]+/stages",
}


def running(exe: Path) -> bool:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/exe") == str(exe):
                    return True
            except OSError:
                pass
    return False


def kill_all(exe: Path):
    def kill():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.readlink(f"/proc/{pid}/exe") == str(exe):
                    os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    return kill


def crash_project(tmp_path: Path, plugin_bin: Path, name: str) -> tuple[Path, Path]:
    """A YAML project using a private copy of the plugin (so only this test's plugin is killed
    or waited for); returns (project dir, plugin executable)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "pulumi-resource-secureapi"
    shutil.copy(plugin_bin, exe)
    return yaml_project(tmp_path / "proj", name, bindir, {"environmentSuffix": name}), exe


@pytest.mark.parametrize("point", list(POINTS))
def test_sigkill_during_create_then_up_converges(point, pulumi, aws, plugin_bin, tmp_path):
    proj, exe = crash_project(tmp_path, plugin_bin, "crash")
    proxy = FaultProxy(aws.url)
    proxy.inject(Fault(POINTS[point], 503, "ServiceUnavailable", "plugin killed", times=1,
                       hook=kill_all(exe)))
    env = {"AWS_ENDPOINT_URL": proxy.url}
    try:
        pulumi.run("stack", "init", "dev", cwd=proj, env=env)
        r = pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env=env, check=False)
        assert r.returncode != 0, "the plugin was killed: the update must fail"
        assert proxy.faults[0].hits == 1
        # recovery: run `pulumi up` again
        pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env=env)
        pulumi.run("refresh", "--yes", "--expect-no-changes", cwd=proj, env=env)
        have = everything(aws)
        assert {k: len(v) for k, v in have.items()} == {k: 1 for k in have}, have
        pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=env)
        left = everything(aws)
        assert left == {k: [] for k in left}, left
    finally:
        proxy.stop()


def test_cli_killed_during_create_then_documented_recovery(pulumi, aws, plugin_bin, tmp_path):
    """The CLI itself (with the plugin) is killed: the state keeps a lock and a pending create.
    The README's recovery, `pulumi cancel`, `pulumi up`, `pulumi refresh --clear-pending-creates`,
    ends with one complete stack and no pending operation."""
    import subprocess
    import time

    proxy = FaultProxy(aws.url)
    proxy.latency = 0.5
    proj, exe = crash_project(tmp_path, plugin_bin, "clikill")
    env = {"AWS_ENDPOINT_URL": proxy.url}
    try:
        pulumi.run("stack", "init", "dev", cwd=proj, env=env)
        up = subprocess.Popen([str(pulumi.bindir / "pulumi"), "up", "--yes", "--skip-preview",
                               "--non-interactive"], cwd=proj, env=dict(pulumi.env, **env),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
        deadline = time.monotonic() + 60
        while len(proxy.calls) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(up.pid, signal.SIGKILL)
        up.wait(timeout=30)
        # the engine starts the plugin in its own process group, so it outlives the CLI until it
        # sees its parent gone (within 0.2 s) and stops; recovery starts once it has
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and running(exe):
            time.sleep(0.05)
        proxy.latency = 0
        pulumi.run("cancel", "--yes", cwd=proj, env=env)
        pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env=env)
        pulumi.run("refresh", "--yes", "--clear-pending-creates", cwd=proj, env=env)
        exported = json.loads(pulumi.run("stack", "export", cwd=proj, env=env).stdout)
        assert not exported["deployment"].get("pending_operations")
        pulumi.run("preview", "--expect-no-changes", cwd=proj, env=env)
        have = everything(aws)
        assert {k: len(v) for k, v in have.items()} == {k: 1 for k in have}, have
        pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=env)
        left = everything(aws)
        assert left == {k: [] for k in left}, left
    finally:
        proxy.stop()
