"""The README's main command, tools/demo.sh, run as a newcomer runs it (against the embedded
moto): the plugin is installed the way users install it (the release-layout tarball of the
just-built binary, `pulumi plugin install ... --file` into the demo's PULUMI_HOME), not taken
from $PATH, so the output carries no "using pulumi-resource-secureapi from $PATH" warning (nor
any other warning), and the deploy prints the stack outputs and tears down cleanly."""
import json
import os
import re
import subprocess
from pathlib import Path

from harness.build import build_dir

REPO = Path(__file__).resolve().parents[2]


def test_demo_installs_the_plugin_as_users_do_and_warns_about_nothing(pulumi_bin, version,
                                                                      tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
    env.update(SECUREAPI_BUILD_DIR=str(build_dir()), SECUREAPI_PULUMI_BIN=str(pulumi_bin),
               TMPDIR=str(tmp_path))
    p = subprocess.run(["bash", str(REPO / "tools" / "demo.sh")], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=1200, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "$PATH" not in out, out
    assert not re.search(r"(?im)^\s*warning\b", out), out
    tgz = f"pulumi-resource-secureapi-v{version}-linux-amd64.tar.gz"
    assert f"pulumi plugin install resource secureapi {version} --file" in out and tgz in out, out
    # `pulumi stack output --json` is the only JSON object the demo prints on stdout
    outputs = json.loads(p.stdout[p.stdout.index("{"):p.stdout.rindex("}") + 1])
    assert outputs["apiUrl"].startswith("https://"), outputs
    assert outputs["functionName"], outputs
