"""The committed SDKs (sdk-shim/) are exactly what `pulumi package gen-sdk` makes from the plugin's
schema now (Go's go.mod/go.sum as tools/sdk/gen-sdk.sh tidies them), carry the version and the
plugin server URL in their plugin metadata, and build: the Node.js SDK compiles with tsc, the
Python SDK imports and exposes the resource, and the Go SDK and the Go example build and pass
`go vet` (modules from the cache of tools/sdk/go-env.sh)."""
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from go_env import MODULE, SDK, go, use_local_sdk

REPO = Path(__file__).resolve().parents[2]


def tracked(prefix: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", prefix], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    return sorted(l for l in out.splitlines() if l)


def test_regenerating_changes_nothing(tmp_path, pulumi_bin, plugin_bin):
    env = dict(os.environ, SECUREAPI_PULUMI_BIN=str(pulumi_bin),
               SECUREAPI_BUILD_DIR=str(plugin_bin.parent.parent))
    subprocess.run(["bash", str(REPO / "tools/sdk/gen-sdk.sh"), str(tmp_path / "sdk-shim")],
                   check=True, env=env, timeout=900, capture_output=True)
    files = tracked("sdk-shim")
    assert files, "sdk-shim is not committed"
    generated = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "sdk-shim").rglob("*")
                       if p.is_file())
    assert generated == files, "gen-sdk makes a different set of files than is committed"
    changed = [f for f in files if not filecmp.cmp(REPO / f, tmp_path / f, shallow=False)]
    assert changed == [], f"regenerate with tools/sdk/gen-sdk.sh: {changed} differ"


def test_plugin_metadata(version):
    pkg = json.loads((REPO / "sdk-shim/nodejs/package.json").read_text())
    assert pkg["name"] == "pulumi-secureapi" and pkg["version"] == version
    schema = json.loads((REPO / "provider/schema.json").read_text())
    assert pkg["pulumi"] == {"resource": True, "name": "secureapi", "version": version,
                             "server": schema["pluginDownloadURL"]}
    for f in ("python/pulumi_secureapi", "go/secureapi"):
        meta = json.loads((REPO / "sdk-shim" / f / "pulumi-plugin.json").read_text())
        assert meta == {"resource": True, "name": "secureapi", "version": version,
                        "server": schema["pluginDownloadURL"]}, f


def test_sdks_build(tmp_path):
    env = dict(os.environ, VENV=str(Path(sys.executable).parent.parent))
    subprocess.run(["bash", str(REPO / "tools/sdk/build-sdk.sh")], check=True, env=env,
                   timeout=600, capture_output=True)
    assert (REPO / "sdk-shim/nodejs/bin/secureApiStack.js").exists()
    assert (REPO / "sdk-shim/nodejs/bin/secureApiStack.d.ts").exists()
    r = subprocess.run([sys.executable, "-c",
                        "import pulumi_secureapi as s; print(s.SecureApiStack.__name__)"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "SecureApiStack"


def test_go_module_matches_import_base_path(pulumi_bin):
    schema = json.loads((REPO / "provider/schema.json").read_text())
    base = schema["language"]["go"]["importBasePath"]
    assert base == MODULE + "/secureapi"
    gomod = go("mod", "edit", "-json", cwd=SDK).stdout
    mod = json.loads(gomod)
    assert mod["Module"]["Path"] == MODULE
    cli = subprocess.run([str(pulumi_bin / "pulumi"), "version"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert {r["Path"]: r["Version"] for r in mod["Require"]}["github.com/pulumi/pulumi/sdk/v3"] == cli
    assert not mod.get("Replace"), "the published SDK module must not carry replace directives"


def test_go_sdk_builds_and_vets():
    go("build", "./...", cwd=SDK)
    go("vet", "./...", cwd=SDK)
    listed = go("list", "./...", cwd=SDK).stdout.split()
    assert MODULE + "/secureapi" in listed and MODULE + "/secureapi/config" in listed


def test_go_example_builds_against_the_sdk(tmp_path):
    proj = tmp_path / "go"
    shutil.copytree(REPO / "examples/go", proj)
    use_local_sdk(proj)
    go("build", "-o", str(tmp_path / "example"), ".", cwd=proj)
    go("vet", "./...", cwd=proj)  # main.go and step2/main.go
    assert (tmp_path / "example").stat().st_size > 0
