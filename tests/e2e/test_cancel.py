"""Ctrl-C during a long create: with latency injected on every AWS call, SIGINT to `pulumi up`
stops it within seconds (the CLI sends Cancel, the plugin stops at its next AWS call or wait and
reports what exists); the next `pulumi up` converges and `pulumi destroy` leaves nothing."""
import signal
import subprocess
import time

from harness.fault_proxy import FaultProxy
from harness.projects import yaml_project
from harness.stack_checks import everything

LATENCY = 1.0


def test_ctrl_c_during_create(pulumi, aws, plugin_bin, tmp_path):
    proxy = FaultProxy(aws.url)
    proxy.latency = LATENCY
    proj = yaml_project(tmp_path / "proj", "cancel", plugin_bin.parent,
                        {"environmentSuffix": "cancel"})
    env = dict(pulumi.env, AWS_ENDPOINT_URL=proxy.url)
    try:
        pulumi.run("stack", "init", "dev", cwd=proj, env={"AWS_ENDPOINT_URL": proxy.url})
        up = subprocess.Popen([str(pulumi.bindir / "pulumi"), "up", "--yes", "--skip-preview",
                               "--non-interactive"], cwd=proj, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while len(proxy.calls) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(proxy.calls) >= 4, "create did not start"
        t0 = time.monotonic()
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=60)
        took = time.monotonic() - t0
        print(f"pulumi up stopped {took:.1f}s after Ctrl-C (each AWS call takes {LATENCY}s)")
        assert up.returncode != 0
        assert took < 10, out
        proxy.latency = 0
        pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env={"AWS_ENDPOINT_URL": proxy.url})
        have = everything(aws)
        assert {k: len(v) for k, v in have.items()} == {k: 1 for k in have}, have
        pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj,
                   env={"AWS_ENDPOINT_URL": proxy.url})
        left = everything(aws)
        assert left == {k: [] for k in left}, left
    finally:
        proxy.stop()
