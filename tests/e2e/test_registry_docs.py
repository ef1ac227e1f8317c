"""What the Pulumi Registry and users' IDEs read is valid and complete: provider/schema.json as
committed carries meson.build's project() version (the registry reads the file at the release
tag; no placeholder) and passes the pinned CLI's `pulumi schema check`; it has the registry's
metadata (a logo that is an SVG in the repo, the category/kind keywords); the resource description
embeds an example per language and an Import section with the ID format; inputs state their
defaults and the AWS limits Check enforces; config variables read from the environment say which
variables in `defaultInfo.environment` (each one the plugin's AWS layer really reads), and the
provider's inputs are described exactly as the config variables; docs/_index.md has the registry
front matter, Installation, a complete Example Usage program per language naming the resource
type and a Configuration reference naming every config variable and its environment variables;
docs/installation-configuration.md has its front matter, install steps and the credentials
pointers; the schema's .NET and Java sections name a namespace/package we control and
`pulumi package gen-sdk --language dotnet` accepts them (through the code-generation-only .NET host
of tools/langhost/dotnet; its logo download served from loopback); and the documented TypeScript,
Python, Go and YAML programs (of _index.md and of the schema) deploy to moto through the real CLI as
they say (Go through the Go language host, with the SDK of sdk-shim/go)."""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from go_env import go, go_env, use_local_sdk

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "provider/schema.json"
RESOURCE = "secureapi:index:SecureApiStack"
LANGUAGES = ["typescript", "python", "go", "yaml"]
# The environment variables behind each config variable: the plugin's AWS layer (or, for the
# plugin's own settings, its configuration code) reads each (checked below against
# provider/aws/*.c and provider/plugin/config.*), in this order of precedence.
ENVIRONMENT = {
    "region": ["AWS_REGION", "AWS_DEFAULT_REGION"],
    "profile": ["AWS_PROFILE"],
    "accessKey": ["AWS_ACCESS_KEY_ID"],
    "secretKey": ["AWS_SECRET_ACCESS_KEY"],
    "token": ["AWS_SESSION_TOKEN"],
    "apiRateScale": ["PULUMI_SECUREAPI_API_RATE_SCALE"],
}
# What each input's description must state: its unit, its limits as Check enforces them
# (tests/README.md "Input limits", provider/stack/limits.c) and, for inputs with a default, the
# default (checked generically below).
LIMITS = {
    "environmentSuffix": ["32 characters"],
    "lambdaMemorySize": ["MB", "128", "10240"],
    "lambdaTimeout": ["seconds", "1-900"],
    "logRetentionInDays": ["days", "3653"],
    "kmsDeletionWindowInDays": ["days", "7-30"],
    "stageName": ["128 characters", "hyphens", "underscores"],
    "tags": ["47", "128", "256", "aws:"],
    "lambdaEnvironment": ["4 KB", "reserved", "[a-zA-Z][a-zA-Z0-9_]+"],
    "lambdaHandler": ["128 characters"],
    "lambdaCode": ["50 MB", "250 MB"],
    "lambdaRuntime": ["new functions"],
}

UNITS = {"lambdaMemorySize": "MB", "lambdaTimeout": "seconds", "logRetentionInDays": "days",
         "kmsDeletionWindowInDays": "days"}


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def front_matter(text: str) -> dict:
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert m, "no YAML front matter"
    return yaml.safe_load(m.group(1))


def section(text: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"no '## {title}' section"
    return m.group(1)


def code_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)\n(.*?)^```", text, re.S | re.M)


# ---- the schema -------------------------------------------------------------------------------
def test_schema_version_is_the_project_version(version):
    assert schema()["version"] == version, \
        "provider/schema.json's version must equal meson.build's project() version"


def test_pulumi_schema_check_passes(pulumi_bin, tmp_path):
    env = dict(os.environ, PULUMI_HOME=str(tmp_path), PULUMI_SKIP_UPDATE_CHECK="true",
               PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
    r = subprocess.run([str(pulumi_bin / "pulumi"), "schema", "check", str(SCHEMA_PATH)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_dotnet_and_java_sections():
    lang = schema()["language"]
    cs = lang["csharp"]
    # NuGet reserves the Pulumi. prefix (and Pulumi itself) for Pulumi's own packages
    assert cs["rootNamespace"] and cs["rootNamespace"].split(".")[0] != "Pulumi"
    assert set(cs["packageReferences"]) == {"Pulumi"}
    assert re.fullmatch(r"3\.(\*|\d+\.\d+(\.\d+)?)", cs["packageReferences"]["Pulumi"])
    java = lang["java"]["basePackage"]
    assert re.fullmatch(r"[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+", java), java
    assert not java.startswith("com.pulumi"), "com.pulumi is Pulumi's"


class _LogoServer(http.server.ThreadingHTTPServer):
    """Serves docs/logo.svg on a loopback port and counts the requests for it."""

    def __init__(self):
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits += 1
                body = (REPO / "docs/logo.svg").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "image/svg+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_gen_sdk_dotnet(pulumi_bin, tmp_path):
    """The .NET codegen downloads the schema's logoUrl (into the NuGet package's logo.png): the
    schema copy points it at a loopback server, so nothing leaves the machine."""
    server = _LogoServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        spec = schema()
        spec["logoUrl"] = f"http://127.0.0.1:{server.server_address[1]}/logo.svg"
        (tmp_path / "schema.json").write_text(json.dumps(spec))
        env = dict(os.environ, PULUMI_HOME=str(tmp_path / "home"), PULUMI_SKIP_UPDATE_CHECK="true",
                   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
                   PATH=f"{pulumi_bin}{os.pathsep}{os.environ['PATH']}")
        r = subprocess.run([str(pulumi_bin / "pulumi"), "package", "gen-sdk", "./schema.json",
                            "--language", "dotnet", "-o", "out"], capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        server.shutdown()
    assert server.hits == 1
    out = tmp_path / "out/dotnet"
    ns = schema()["language"]["csharp"]["rootNamespace"] + ".Secureapi"
    csproj = (out / f"{ns}.csproj").read_text()
    assert re.search(r'<PackageReference Include="Pulumi" Version="3\.[^"]*" />', csproj)
    assert "<Version>" + schema()["version"] + "</Version>" in csproj
    stack = (out / "SecureApiStack.cs").read_text()
    assert f"namespace {ns}" in stack and "class SecureApiStack : global::Pulumi.CustomResource" \
        in stack
    assert json.loads((out / "pulumi-plugin.json").read_text())["name"] == "secureapi"


def test_registry_metadata():
    s = schema()
    for key in ("displayName", "description", "publisher", "repository", "homepage", "logoUrl",
                "license"):
        assert s.get(key), f"schema has no {key}"
    assert s["name"] == "secureapi"
    assert s["repository"].startswith("https://github.com/")
    assert {"category/cloud", "kind/native"} <= set(s["keywords"])
    prefix = s["repository"].replace("https://github.com/", "https://raw.githubusercontent.com/")
    assert s["logoUrl"].startswith(prefix + "/")
    logo = REPO / s["logoUrl"][len(prefix) + 1:].split("/", 1)[1]  # after the branch
    assert logo.suffix == ".svg" and logo.is_file(), f"{logo} is not in the repo"
    root = ElementTree.parse(logo).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")


def test_resource_description_has_examples_and_import():
    desc = schema()["resources"][RESOURCE]["description"]
    m = re.search(r"\{\{% examples %\}\}(.*?)\{\{% /examples %\}\}", desc, re.S)
    assert m, "no {{% examples %}} block"
    examples = re.findall(r"\{\{% example %\}\}(.*?)\{\{% /example %\}\}", m.group(1), re.S)
    assert examples
    for ex in examples:
        langs = [lang for lang, _ in code_blocks(ex)]
        assert langs == LANGUAGES, f"an example has {langs}, not one program per language"
        for lang, code in code_blocks(ex):
            assert "SecureApiStack" in code, f"the {lang} example does not use the resource"
    yaml_code = dict(code_blocks(examples[0]))["yaml"]
    resources = yaml.safe_load(yaml_code)["resources"]
    assert [r["type"] for r in resources.values()] == [RESOURCE]
    imp = desc[desc.index("## Import"):]
    assert "<region>/<function name>" in imp
    assert re.search(rf"pulumi import {re.escape(RESOURCE)} \S+ [a-z]+-[a-z]+-\d/\S+", imp)


def test_inputs_and_outputs_state_defaults_units_and_limits():
    res = schema()["resources"][RESOURCE]
    for name, prop in res["inputProperties"].items():
        desc = prop.get("description", "")
        assert len(desc) > 40, f"input {name} is hardly described"
        if "default" in prop:
            assert f"Default: `{prop['default']}`" in desc or \
                   f"Default: `{str(prop['default']).lower()}`" in desc, \
                f"input {name} does not state its default {prop['default']!r}"
        for needle in LIMITS.get(name, []):
            assert needle in desc, f"input {name} does not state {needle!r}"
    for name, prop in res["properties"].items():
        desc = prop.get("description", "")
        assert len(desc) > 20, f"output {name} is hardly described"
        if name in UNITS:
            assert UNITS[name] in desc, f"output {name} does not state its unit {UNITS[name]!r}"


def test_config_environment_is_declared_and_true():
    s = schema()
    aws_sources = "".join(p.read_text() for p in [*(REPO / "provider/aws").glob("*.c"),
                                                  *(REPO / "provider/plugin").glob("config.*")])
    variables = s["config"]["variables"]
    for name, var in variables.items():
        envs = var.get("defaultInfo", {}).get("environment", [])
        assert envs == ENVIRONMENT.get(name, []), f"config {name}: environment {envs}"
        for e in envs:
            assert f'"{e}"' in aws_sources, f"{e} is not read by the plugin"
            assert e in var["description"], f"config {name} does not name {e}"


def test_provider_inputs_are_described_as_the_config_variables():
    s = schema()
    variables, inputs = s["config"]["variables"], s["provider"]["inputProperties"]
    assert sorted(inputs) == sorted(variables)
    for name, var in variables.items():
        assert inputs[name]["description"] == var["description"], name


# ---- docs/ -------------------------------------------------------------------------------------
def test_index_md():
    text = (REPO / "docs/_index.md").read_text()
    fm = front_matter(text)
    assert fm.get("title") and fm.get("meta_desc") and fm.get("layout") == "package"
    install = section(text, "Installation")
    assert "pulumi package add" in install
    for lang in LANGUAGES:
        assert re.search(rf"^### {lang}\b", install, re.M | re.I), f"no {lang} installation"
    go_section = section(install.replace("### ", "## "), "Go")
    base = schema()["language"]["go"]["importBasePath"]
    assert f"go get {base}\n" in go_section
    for title, name in (("C#", schema()["language"]["csharp"]["rootNamespace"] + ".Secureapi"),
                        ("Java", schema()["language"]["java"]["basePackage"] + ".secureapi")):
        sub = section(install.replace("### ", "## "), title)
        assert "pulumi package add secureapi@" in sub and name in sub, f"{title} installation"
    usage = section(text, "Example Usage")
    blocks = [(lang, code) for lang, code in code_blocks(usage) if lang in LANGUAGES]
    assert sorted(lang for lang, _ in blocks) == sorted(LANGUAGES)
    for lang, code in blocks:
        assert "SecureApiStack" in code, f"the {lang} program does not use the resource"
        if lang == "yaml":
            program = yaml.safe_load(code)
            assert program["runtime"] == "yaml"
            assert [r["type"] for r in program["resources"].values()] == [RESOURCE]
        elif lang == "typescript":
            assert 'from "pulumi-secureapi"' in code and "environmentSuffix" in code
        elif lang == "python":
            assert "import pulumi_secureapi" in code and "environment_suffix" in code
        elif lang == "go":
            assert "package main" in code and "pulumi.Run(" in code
    config = section(text, "Configuration")
    for name, var in schema()["config"]["variables"].items():
        assert f"`secureapi:{name}`" in config, f"config {name} is not in the reference"
        for e in var.get("defaultInfo", {}).get("environment", []):
            assert f"`{e}`" in config, f"{e} is not in the reference"


def test_installation_configuration_md():
    text = (REPO / "docs/installation-configuration.md").read_text()
    fm = front_matter(text)
    assert fm.get("title") and fm.get("meta_desc") and fm.get("layout") == "package"
    install = section(text, "Installation")
    assert "pulumi plugin install resource secureapi" in install
    assert "pulumi package add" in install
    creds = section(text, "Credentials")
    assert "provider/aws/README.md" in creds and "Real AWS" in creds


@pytest.mark.parametrize("doc", ["docs/_index.md", "docs/installation-configuration.md"])
def test_docs_name_the_schema_version(doc, version):
    text = (REPO / doc).read_text()
    versions = set(re.findall(r"resource secureapi (v?\d+\.\d+\.\d+)", text))
    assert versions <= {version, "v" + version}, f"{doc} names {versions}"


# ---- the documented programs run -----------------------------------------------------------------
def index_program(lang: str) -> str:
    usage = section((REPO / "docs/_index.md").read_text(), "Example Usage")
    (code,) = [c for lg, c in code_blocks(usage) if lg == lang]
    return code


def schema_program(lang: str) -> str:
    desc = schema()["resources"][RESOURCE]["description"]
    return dict(code_blocks(desc))[lang]


def make_project(lang: str, code: str, proj: Path, sdk_bin: Path) -> None:
    """A project around one documented program, its function code in ./app as the text says."""
    proj.mkdir()
    examples = REPO / "examples"
    if lang == "python":
        shutil.copytree(examples / "python/app", proj / "app")
        (proj / "Pulumi.yaml").write_text("name: docs-py\nruntime:\n  name: python\n")
        (proj / "__main__.py").write_text(code)
    elif lang == "yaml":
        shutil.copytree(examples / "yaml/app", proj / "app")
        program = yaml.safe_load(code)
        program.setdefault("name", "docs-yaml")
        program.setdefault("runtime", "yaml")
        (proj / "Pulumi.yaml").write_text(yaml.safe_dump(program))
    elif lang == "go":
        (proj / "app").mkdir()
        shutil.copy(examples / "typescript/handler/index.js", proj / "app/index.js")
        (proj / "Pulumi.yaml").write_text("name: docs-go\nruntime: go\n")
        (proj / "main.go").write_text(code)
        for f in ("go.mod", "go.sum"):
            shutil.copy(examples / "go" / f, proj / f)
        use_local_sdk(proj)
        go("mod", "tidy", cwd=proj)
    else:
        (proj / "app").mkdir()
        shutil.copy(examples / "typescript/handler/index.js", proj / "app/index.js")
        (proj / "Pulumi.yaml").write_text("name: docs-ts\nruntime:\n  name: nodejs\n")
        (proj / "index.ts").write_text(code)
        pkg = json.loads((examples / "typescript/package.json").read_text())
        pkg["name"] = "docs-ts"
        pkg["dependencies"]["pulumi-secureapi"] = f"file:{sdk_bin}"
        (proj / "package.json").write_text(json.dumps(pkg, indent=2))
        tsconfig = json.loads((examples / "typescript/tsconfig.json").read_text())
        tsconfig["files"] = ["index.ts"]
        (proj / "tsconfig.json").write_text(json.dumps(tsconfig, indent=2))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                        "--loglevel=error", "--prefer-offline"], cwd=proj, check=True,
                       timeout=600)


@pytest.mark.parametrize("source", ["docs/_index.md", "schema.json"])
@pytest.mark.parametrize("lang", ["typescript", "python", "yaml", "go"])
def test_documented_program_deploys(lang, source, pulumi, aws, plugin_bin, sdk_built, tmp_path):
    code = index_program(lang) if source == "docs/_index.md" else schema_program(lang)
    proj = tmp_path / "proj"
    make_project(lang, code, proj, sdk_built)
    env = {"PATH": f"{plugin_bin.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                   f"{pulumi.env['PATH']}"}
    if lang == "go":
        env.update(go_env())
    run = lambda *a, **kw: pulumi.run(*a, cwd=proj, env=env, **kw)  # noqa: E731
    run("stack", "init", "docs")
    run("up", "--yes", "--skip-preview")
    out = json.loads(run("stack", "output", "--json").stdout)
    assert re.fullmatch(r"https://[a-z0-9]+\.execute-api\.ap-southeast-1\.amazonaws\.com/prod",
                        out["apiUrl"])
    assert re.fullmatch(r"secure-api-stack-dev-[0-9a-f]{7}", out["functionName"])
    fn = aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    handler, runtime = {"python": ("app.handler", "python3.13")}.get(
        lang, ("index.handler", "nodejs22.x"))
    assert (fn["Configuration"]["Handler"], fn["Configuration"]["Runtime"]) == (handler, runtime)
    assert fn["Configuration"]["MemorySize"] == 512 and fn["Tags"]["Team"] == "payments"
    (group,) = aws.boto3_client("logs").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/" + out["functionName"])["logGroups"]
    assert group["retentionInDays"] == 30
    run("destroy", "--yes", "--skip-preview")
