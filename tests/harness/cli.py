"""The real Pulumi CLI as the tests run it: `pulumi_bin_dir` finds the pinned CLI and language
hosts (SECUREAPI_PULUMI_BIN, or tools/setup/install-pulumi.sh, which builds them from Go modules
once and prints where); `Pulumi` runs it in a project directory with an isolated PULUMI_HOME, a
file:// state backend, no update checks or plugin downloads, non-interactive, and every AWS
endpoint pointed at moto (or at a closed loopback port)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from harness.moto import MotoServer

INSTALL = Path(__file__).resolve().parents[2] / "tools" / "setup" / "install-pulumi.sh"


def pulumi_bin_dir() -> Path:
    d = os.environ.get("SECUREAPI_PULUMI_BIN")
    if not d:
        out = subprocess.run(["bash", str(INSTALL)],
                             check=True, capture_output=True, text=True).stdout
        d = out.strip().splitlines()[-1]
    return Path(d)


class Pulumi:
    """Runs `pulumi` in one project directory with an isolated home and state backend."""

    def __init__(self, bindir: Path, root: Path, moto_server: MotoServer | None):
        self.bindir = bindir
        self.home = root / "pulumi-home"
        self.state = root / "state"
        self.home.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "PULUMI_")) or k == "PULUMI_SECUREAPI_DEBUG"}
        env.update({
            "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '')}",
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": f"file://{self.state}",
            "PULUMI_CONFIG_PASSPHRASE": "test-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_DISABLE_REGISTRY_RESOLVE": "true",
            "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_COLOR": "1",
            # moto has no quotas: the plugin's pacing by AWS's rates would only slow the runs
            "PULUMI_SECUREAPI_API_RATE_SCALE": "1000",
        })
        if moto_server is not None:
            env.update(moto_server.client_env())
        else:
            env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing leaves loopback
        env.setdefault("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        env.setdefault("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        self.env = env

    def run(self, *args: str, cwd: Path, check: bool = True, timeout: float = 600,
            env: dict | None = None) -> subprocess.CompletedProcess:
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([str(self.bindir / "pulumi"), *args, "--non-interactive"],
                           cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({p.returncode}):\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p
