"""The release as users consume it, from a loopback stand-in for the GitHub release host
(harness/release_host.py: /<org>/<repo>/releases/download/v<ver>/<asset>) serving a release
folder (the plugin tarball of the just-built binary, schema.json, and the SDK packages that
tools/release/sdk-packages.sh makes: npm tarball, Python wheel and sdist). Every project starts
from an empty PULUMI_HOME with automatic plugin acquisition on, the real pluginDownloadURL pointed
at the host with PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES, and nothing on $PATH but the CLI:
- the packages' versions are the plugin's and they name the schema's pluginDownloadURL;
- TypeScript with the npm tarball and Python with the wheel (each fetched from the host, into a
  fresh project / a fresh venv) deploy the example to moto, the engine installing the plugin from
  the host on its own;
- YAML with a `pulumi:providers:secureapi` resource (version + pluginDownloadURL), both with the
  schema's URL and with the releases/download URL form;
- `pulumi package add secureapi@<ver> --server <host>` generates a working SDK in a fresh
  TypeScript project, which deploys."""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness.release_host import ReleaseHost
from harness.stack_checks import everything

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "provider" / "schema.json").read_text())
SCHEMA_URL = SCHEMA["pluginDownloadURL"]
# the form that needs no GitHub API call (see the README's "Releases")
RELEASES_URL = "https://github.com/pulumi-secureapi/pulumi-secureapi/releases/download/v${VERSION}"
ORG, GH_REPO = "pulumi-secureapi", "pulumi-secureapi"
NPM = ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error",
       "--prefer-offline"]


@pytest.fixture(scope="session")
def sdk_packages(tmp_path_factory, version) -> Path:
    """The SDK packages: those of the release folder tests/check.sh made (SECUREAPI_RELEASE_DIST),
    else made here by tools/release/sdk-packages.sh (no root needed)."""
    dist = os.environ.get("SECUREAPI_RELEASE_DIST")
    if dist and (Path(dist) / f"pulumi-secureapi-{version}.tgz").exists():
        return Path(dist)
    out = tmp_path_factory.mktemp("sdk-packages")
    env = {k: v for k, v in os.environ.items() if k != "VENV"}
    subprocess.run(["bash", str(REPO / "tools" / "release" / "sdk-packages.sh"), str(out)],
                   check=True, env=env, timeout=900, stdout=subprocess.DEVNULL)
    return out


@pytest.fixture(scope="session")
def release_folder(plugin_bin, sdk_packages, tmp_path_factory, version) -> Path:
    build = plugin_bin.parent.parent
    subprocess.run(["meson", "compile", "-C", str(build), "package"], check=True,
                   capture_output=True, timeout=300)
    d = tmp_path_factory.mktemp("release")
    shutil.copy(build / "provider" / f"pulumi-resource-secureapi-v{version}-linux-amd64.tar.gz", d)
    shutil.copy(REPO / "provider" / "schema.json", d)
    for name in (f"pulumi-secureapi-{version}.tgz", f"pulumi_secureapi-{version}.tar.gz",
                 f"pulumi_secureapi-{version}-py3-none-any.whl"):
        shutil.copy(sdk_packages / name, d)
    return d


@pytest.fixture
def host(release_folder, version):
    h = ReleaseHost(release_folder, ORG, GH_REPO, version)
    yield h
    h.stop()


def user_env(pulumi, host: ReleaseHost, url: str = SCHEMA_URL) -> dict:
    """A user's machine: plugins are acquired automatically, from `url` sent to the host."""
    return {"PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "",
            "PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES": host.override(url),
            # a download the override missed goes to a closed loopback port, never out (Go's
            # proxy rules leave 127.0.0.1, the host, alone)
            "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": ""}


def installed(pulumi, cwd) -> list:
    plugins = json.loads(pulumi.run("plugin", "ls", "--json", cwd=cwd).stdout) or []
    return [(p["name"], p["kind"], p["version"]) for p in plugins]


def deploy_and_destroy(pulumi, aws, proj: Path, env: dict, stack: str) -> dict:
    pulumi.run("stack", "init", stack, cwd=proj, env=env)
    pulumi.run("config", "set", "environmentSuffix", stack, cwd=proj, env=env)
    up = pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env=env)
    assert "$PATH" not in up.stdout + up.stderr
    out = json.loads(pulumi.run("stack", "output", "--json", cwd=proj, env=env).stdout)
    assert out["apiUrl"].startswith("https://") and out["logGroupName"].startswith("/aws/lambda/")
    assert aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=env)
    left = everything(aws)
    assert left == {k: [] for k in left}
    return out


def plugin_fetched(host: ReleaseHost, version: str) -> bool:
    return (f"/{ORG}/{GH_REPO}/releases/download/v{version}/"
            f"pulumi-resource-secureapi-v{version}-linux-amd64.tar.gz") in host.requests


def test_sdk_packages_carry_the_plugin_version_and_download_url(sdk_packages, version):
    with tarfile.open(sdk_packages / f"pulumi-secureapi-{version}.tgz") as t:
        names = set(t.getnames())
        pkg = json.load(t.extractfile("package/package.json"))
    assert {"package/index.js", "package/index.d.ts", "package/secureApiStack.js"} <= names
    assert pkg["name"] == "pulumi-secureapi" and pkg["version"] == version
    assert pkg["pulumi"] == {"resource": True, "name": "secureapi", "version": version,
                             "server": SCHEMA_URL}
    with zipfile.ZipFile(sdk_packages / f"pulumi_secureapi-{version}-py3-none-any.whl") as z:
        meta = z.read(f"pulumi_secureapi-{version}.dist-info/METADATA").decode()
        plugin = json.loads(z.read("pulumi_secureapi/pulumi-plugin.json"))
        assert "pulumi_secureapi/secure_api_stack.py" in z.namelist()
    assert f"\nVersion: {version}\n" in meta and "Requires-Dist: pulumi<4.0.0,>=3.269.0" in meta
    assert plugin == {"resource": True, "name": "secureapi", "version": version,
                      "server": SCHEMA_URL}
    with tarfile.open(sdk_packages / f"pulumi_secureapi-{version}.tar.gz") as t:
        info = t.extractfile(f"pulumi_secureapi-{version}/PKG-INFO").read().decode()
        assert f"pulumi_secureapi-{version}/pyproject.toml" in t.getnames()
    assert f"\nVersion: {version}\n" in info


def test_typescript_with_the_npm_tarball_from_the_release(pulumi, aws, host, version, tmp_path):
    proj = tmp_path / "typescript"
    shutil.copytree(REPO / "examples" / "typescript", proj,
                    ignore=shutil.ignore_patterns("node_modules", "bin", "step2"))
    pkg = json.loads((proj / "package.json").read_text())
    pkg["dependencies"]["pulumi-secureapi"] = host.asset_url(f"pulumi-secureapi-{version}.tgz")
    (proj / "package.json").write_text(json.dumps(pkg, indent=2))
    subprocess.run(NPM, cwd=proj, check=True, timeout=600)
    assert json.loads((proj / "node_modules" / "pulumi-secureapi" / "package.json")
                      .read_text())["version"] == version
    assert installed(pulumi, tmp_path) == []  # an empty PULUMI_HOME
    deploy_and_destroy(pulumi, aws, proj, user_env(pulumi, host), "npmpkg")
    assert plugin_fetched(host, version)
    assert ("secureapi", "resource", version) in installed(pulumi, tmp_path)


def test_python_with_the_wheel_from_the_release(pulumi, aws, host, version, tmp_path):
    proj = tmp_path / "python"
    shutil.copytree(REPO / "examples" / "python", proj, ignore=shutil.ignore_patterns("step2"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # the pulumi package the test tooling pins (already in pip's cache), then the wheel and its
    # other dependencies as any user gets them
    pin = subprocess.run([sys.executable, "-m", "pip", "show", "pulumi"], check=True, text=True,
                         capture_output=True).stdout.split("Version: ")[1].split()[0]
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                    f"pulumi=={pin}", host.asset_url(f"pulumi_secureapi-{version}-py3-none-any.whl")],
                   check=True, timeout=900)
    assert installed(pulumi, tmp_path) == []
    # the venv activated, as a user does (the pinned python host, v3.79.0, ignores the runtime's
    # virtualenv option as the current engine passes it; tests/README.md)
    env = user_env(pulumi, host)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{pulumi.env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    deploy_and_destroy(pulumi, aws, proj, env, "wheel")
    assert plugin_fetched(host, version)


@pytest.mark.parametrize("url", [SCHEMA_URL, RELEASES_URL], ids=["schema-url", "releases-url"])
def test_yaml_with_an_explicit_provider_installs_from_the_release(pulumi, aws, host, version,
                                                                  url, tmp_path):
    proj = tmp_path / "yaml"
    shutil.copytree(REPO / "examples" / "yaml", proj, ignore=shutil.ignore_patterns("step2"))
    doc = (proj / "Pulumi.yaml").read_text()
    doc = doc.replace("resources:\n", (
        "resources:\n"
        "  secureapi-provider:\n"
        "    type: pulumi:providers:secureapi\n"
        "    options:\n"
        f"      version: {version}\n"
        # Pulumi YAML reads ${...} as its own interpolation: $${VERSION} is the literal
        f"      pluginDownloadURL: {url.replace('${', '$${')}\n"), 1)
    doc = doc.replace("      lambdaCode:\n        fn::fileArchive: ./app\n",
                      "      lambdaCode:\n        fn::fileArchive: ./app\n"
                      "    options:\n      provider: ${secureapi-provider}\n")
    assert "provider: ${secureapi-provider}" in doc
    (proj / "Pulumi.yaml").write_text(doc)
    assert installed(pulumi, tmp_path) == []
    deploy_and_destroy(pulumi, aws, proj, user_env(pulumi, host, url), "yamlrel")
    assert plugin_fetched(host, version)
    assert ("secureapi", "resource", version) in installed(pulumi, tmp_path)


def test_package_add_from_the_release_host(pulumi, aws, host, version, tmp_path):
    proj = tmp_path / "typescript"
    shutil.copytree(REPO / "examples" / "typescript", proj,
                    ignore=shutil.ignore_patterns("node_modules", "bin", "step2"))
    pkg = json.loads((proj / "package.json").read_text())
    del pkg["dependencies"]["pulumi-secureapi"]
    (proj / "package.json").write_text(json.dumps(pkg, indent=2))
    env = user_env(pulumi, host)
    server = f"{host.url}/{ORG}/{GH_REPO}/releases/download/v{version}"
    # package add runs npm for the generated SDK's dependencies (the npm registry, as the NPM
    # commands here do), so it goes without the closed proxy; the plugin comes from `server`
    add_env = {k: v for k, v in env.items() if not k.endswith("_PROXY")}
    pulumi.run("package", "add", f"secureapi@{version}", "--server", server, cwd=proj,
               env=add_env)
    assert plugin_fetched(host, version)
    assert (proj / "sdks" / "secureapi" / "package.json").exists()
    # linked under the schema's language.nodejs.packageName, the name the example imports
    pkg = json.loads((proj / "package.json").read_text())
    assert pkg["dependencies"]["pulumi-secureapi"].startswith("file:"), pkg
    recorded = (proj / "Pulumi.yaml").read_text()
    assert "packages:" in recorded and "secureapi" in recorded, recorded
    subprocess.run(NPM, cwd=proj, check=True, timeout=600)
    deploy_and_destroy(pulumi, aws, proj, env, "pkgadd")
