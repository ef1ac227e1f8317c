"""Installing the plugin the way users get it: the packaged tarball served by a loopback plugin
server, installed with `pulumi plugin install ... --server`, and installed by the engine on its
own from the SDK's pluginDownloadURL into an empty PULUMI_HOME (the SDK's github:// URL redirected
to the loopback server with PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES, so nothing leaves loopback).
Each time the installed plugin then deploys the example and `pulumi plugin ls` shows it."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.plugin_server import PluginServer
from harness.stack_checks import everything

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tarball(plugin_bin) -> Path:
    build = plugin_bin.parent.parent
    subprocess.run(["meson", "compile", "-C", str(build), "package"], check=True,
                   capture_output=True, timeout=300)
    (tgz,) = (build / "provider").glob("pulumi-resource-secureapi-v*-linux-*.tar.gz")
    return tgz


@pytest.fixture
def plugin_server(tarball, tmp_path):
    d = tmp_path / "server"
    d.mkdir()
    shutil.copy(tarball, d)
    s = PluginServer(d)
    yield s
    s.stop()


def installed(pulumi, cwd) -> list:
    plugins = json.loads(pulumi.run("plugin", "ls", "--json", cwd=cwd).stdout)
    return [(p["name"], p["kind"], p["version"]) for p in plugins]


def no_ambient_env(pulumi) -> dict:
    # the installed plugin must be the one used: nothing from PATH
    return {"PULUMI_IGNORE_AMBIENT_PLUGINS": "true"}


def test_install_from_plugin_server(pulumi, aws, plugin_server, version, tmp_path):
    pulumi.run("plugin", "install", "resource", "secureapi", version, "--server",
               plugin_server.url, cwd=tmp_path)
    assert plugin_server.requests == [f"/pulumi-resource-secureapi-v{version}-linux-amd64.tar.gz"]
    assert ("secureapi", "resource", version) in installed(pulumi, tmp_path)
    proj = tmp_path / "yaml"
    shutil.copytree(REPO / "examples" / "yaml", proj, ignore=shutil.ignore_patterns("step2"))
    env = no_ambient_env(pulumi)
    pulumi.run("stack", "init", "inst", cwd=proj, env=env)
    pulumi.run("config", "set", "environmentSuffix", "inst", cwd=proj, env=env)
    pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env=env)
    out = json.loads(pulumi.run("stack", "output", "--json", cwd=proj, env=env).stdout)
    assert aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=env)
    left = everything(aws)
    assert left == {k: [] for k in left}


def test_engine_installs_from_the_sdk_plugin_download_url(pulumi, aws, plugin_server, version,
                                                          tmp_path):
    sdk = REPO / "sdk-shim" / "nodejs"
    server = json.loads((sdk / "package.json").read_text())["pulumi"]["server"]
    env = dict(os.environ, VENV=str(Path(sys.executable).parent.parent))
    subprocess.run(["bash", str(REPO / "tools/sdk/build-sdk.sh")], check=True, env=env,
                   timeout=600, capture_output=True)
    proj = tmp_path / "typescript"
    shutil.copytree(REPO / "examples" / "typescript", proj,
                    ignore=shutil.ignore_patterns("node_modules", "bin", "step2"))
    pkg = json.loads((proj / "package.json").read_text())
    pkg["dependencies"]["pulumi-secureapi"] = f"file:{sdk / 'bin'}"
    (proj / "package.json").write_text(json.dumps(pkg, indent=2))
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                    "--loglevel=error", "--prefer-offline"], cwd=proj, check=True, timeout=600)
    assert installed(pulumi, tmp_path) == []  # an empty PULUMI_HOME
    env = no_ambient_env(pulumi)
    env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = ""
    # a prefix match up to any ${VERSION} placeholder (the CLI sees an https URL's braces escaped)
    env["PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES"] = (
        f"^{re.escape(server.split('${')[0])}={plugin_server.url}")
    pulumi.run("stack", "init", "auto", cwd=proj, env=env)
    pulumi.run("config", "set", "environmentSuffix", "auto", cwd=proj, env=env)
    pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env=env)
    assert f"/pulumi-resource-secureapi-v{version}-linux-amd64.tar.gz" in plugin_server.requests
    assert ("secureapi", "resource", version) in installed(pulumi, tmp_path)
    out = json.loads(pulumi.run("stack", "output", "--json", cwd=proj, env=env).stdout)
    assert aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=env)
