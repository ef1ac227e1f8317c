"""lambdaCode through the real CLI against moto: the function's code from a folder
(`fn::fileArchive` in YAML) is uploaded as exactly those files (the package rebuilt from them by
the plugin's packager holds them and no other, and its hash is moto's CodeSha256 and the state's);
the same files written again with new mtimes are no change (`pulumi up --expect-no-changes`); one
byte edited in one file is an in-place update whose diff names only lambdaCode and changes the
function's CodeSha256; a Python program switches from lambdaHandlerCode to lambdaCode (an
AssetArchive of a FileAsset and a nested FileArchive) and back, each an update that deploys the
new code; and a 60 MB archive of random bytes is refused naming Lambda's 50 MB limit without a single
AWS request (every request through the validating proxy in front of moto is seen; Configure's STS
check of the credentials is switched off with secureapi:skipCredentialsValidation) and without a
function in moto."""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from code_checks import (ARCHIVE, ASSET, SIG, assert_deployed, deployed_sha256, folder_files,
                         package, text_archive)
from harness.aws_validator import RECORDER
from harness.projects import yaml_project

OUTPUTS = {"functionName": "${api.functionName}"}
FOLDER = {"environmentSuffix": "code", "region": "ap-southeast-1",
          "lambdaCode": {"fn::fileArchive": "./app"}}


def write_app(app: Path) -> None:
    """A handler folder: index.js requiring a nested module, a JSON file and an executable."""
    (app / "lib" / "util").mkdir(parents=True, exist_ok=True)
    (app / "index.js").write_text(
        "const { greet } = require('./lib/util/greet');\n"
        "exports.handler = async (event) => ({ statusCode: 200,\n"
        "  headers: { 'Content-Type': 'application/json' },\n"
        "  body: JSON.stringify({ greeting: greet(event.path) }) });\n")
    (app / "lib" / "util" / "greet.js").write_text(
        "exports.greet = (who) => `Hello, ${who}!`;\n")
    (app / "config.json").write_text('{"version": 1}\n')
    (app / "bin.sh").write_text("#!/bin/sh\necho hi\n")
    (app / "bin.sh").chmod(0o755)


def step(preview_json: str) -> dict:
    """The SecureApiStack's step of a `pulumi preview --json`."""
    got = [s for s in json.loads(preview_json)["steps"]
           if s["urn"].endswith("SecureApiStack::api")]
    return got[0] if got else {"op": "same"}  # the JSON lists no step for an unchanged one


def brief(s: dict) -> str:
    return json.dumps({k: v for k, v in s.items() if k not in ("oldState", "newState")})


def test_folder_archive_create_touch_and_edit(pulumi, aws, plugin_bin, tmp_path):
    proj = yaml_project(tmp_path / "proj", "code-folder", plugin_bin.parent, FOLDER, OUTPUTS)
    write_app(proj / "app")
    pulumi.run("stack", "init", "dev", cwd=proj)
    pulumi.run("up", "--yes", "--skip-preview", cwd=proj)
    name = json.loads(pulumi.run("stack", "output", "--json", cwd=proj).stdout)["functionName"]
    files = folder_files(proj / "app")
    assert set(files) == {"index.js", "lib/util/greet.js", "config.json", "bin.sh"}
    first = assert_deployed(aws, pulumi, proj, name, package(proj, tmp_path / "1.zip", path="app"),
                            files)

    # the same files written again, with other mtimes: no change at all
    shutil.rmtree(proj / "app")
    write_app(proj / "app")
    later = time.time() + 3600
    for p in (proj / "app").rglob("*"):
        os.utime(p, (later, later))
    pulumi.run("up", "--yes", "--skip-preview", "--expect-no-changes", cwd=proj)
    assert deployed_sha256(aws, name) == first

    # one byte of one file: an update of the code only
    greet = proj / "app" / "lib" / "util" / "greet.js"
    greet.write_bytes(greet.read_bytes().replace(b"Hello", b"Jello"))
    s = step(pulumi.run("preview", "--json", cwd=proj).stdout)
    assert s["op"] == "update", s
    assert s["diffReasons"] == ["lambdaCode"], brief(s)
    assert s["detailedDiff"] == {"lambdaCode": {"kind": "update", "inputDiff": True}}, brief(s)
    pulumi.run("up", "--yes", "--skip-preview", cwd=proj)
    second = assert_deployed(aws, pulumi, proj, name,
                             package(proj, tmp_path / "2.zip", path="app"),
                             folder_files(proj / "app"))
    assert second != first
    assert json.loads(pulumi.run("stack", "output", "--json", cwd=proj).stdout)[
        "functionName"] == name  # updated in place, not replaced
    pulumi.run("up", "--yes", "--skip-preview", "--expect-no-changes", cwd=proj)


INLINE = ("exports.handler = async () =>\n"
          "  ({ statusCode: 200, body: JSON.stringify({ inline: 1 }) });\n")
PROGRAM = f'''\
"""A SecureApiStack whose code is an archive or the short form, by the config value `form`."""
import pulumi
import pulumi_secureapi as secureapi

form = pulumi.Config().require("form")
code = dict(lambda_code=pulumi.AssetArchive({{
    "index.js": pulumi.FileAsset("src/index.js"),
    "lib": pulumi.FileArchive("./src/lib"),
}})) if form == "archive" else dict(lambda_handler_code={INLINE!r})
api = secureapi.SecureApiStack("api", environment_suffix="code", region="ap-southeast-1",
                               **code)
pulumi.export("functionName", api.function_name)
'''


def test_switch_between_archive_and_handler_code_in_python(pulumi, aws, plugin_bin, sdk_built,
                                                          tmp_path):
    proj = tmp_path / "py"
    (proj / "src" / "lib").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text("name: code-switch\nruntime:\n  name: python\n")
    (proj / "__main__.py").write_text(PROGRAM)
    (proj / "src" / "index.js").write_text(
        "const { answer } = require('./lib/answer');\n"
        "exports.handler = async () => ({ statusCode: 200, body: JSON.stringify(answer()) });\n")
    (proj / "src" / "lib" / "answer.js").write_text("exports.answer = () => ({ answer: 42 });\n")
    env = {"PATH": f"{plugin_bin.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                   f"{pulumi.env['PATH']}"}
    run = lambda *a, **kw: pulumi.run(*a, cwd=proj, env=env, **kw)  # noqa: E731
    files = {"index.js": (proj / "src" / "index.js").read_bytes(),
             "lib/answer.js": (proj / "src" / "lib" / "answer.js").read_bytes()}
    archive = package(proj, tmp_path / "archive.zip", value={SIG: ARCHIVE, "assets": {
        "index.js": {SIG: ASSET, "path": "src/index.js"},
        "lib": {SIG: ARCHIVE, "path": "./src/lib"}}})
    inline = package(proj, tmp_path / "inline.zip", value=text_archive({"index.js": INLINE}))

    run("stack", "init", "dev")
    run("config", "set", "form", "inline")
    run("up", "--yes", "--skip-preview")
    name = json.loads(run("stack", "output", "--json").stdout)["functionName"]
    first = assert_deployed(aws, pulumi, proj, name, inline, {"index.js": INLINE.encode()}, env)

    # the short form to an archive: an update that deploys the archive's files
    run("config", "set", "form", "archive")
    s = step(run("preview", "--json").stdout)
    assert s["op"] == "update", brief(s)
    assert set(s["diffReasons"]) == {"lambdaCode", "lambdaHandlerCode"}, brief(s)
    assert set(s["detailedDiff"]) == {"lambdaCode", "lambdaHandlerCode"}, brief(s)
    run("up", "--yes", "--skip-preview")
    second = assert_deployed(aws, pulumi, proj, name, archive, files, env)
    assert second != first

    # and back
    run("config", "set", "form", "inline")
    assert step(run("preview", "--json").stdout)["op"] == "update"
    run("up", "--yes", "--skip-preview")
    assert assert_deployed(aws, pulumi, proj, name, inline, {"index.js": INLINE.encode()},
                           env) == first
    run("up", "--yes", "--skip-preview", "--expect-no-changes")
    fn = aws.boto3_client("lambda").get_function(FunctionName=name)["Configuration"]
    assert fn["Handler"] == "index.handler"
    assert json.loads(run("stack", "output", "--json").stdout)["functionName"] == name


def test_archive_over_50_mb_is_refused_without_aws_calls(pulumi, aws, plugin_bin, tmp_path,
                                                         monkeypatch):
    proj = yaml_project(tmp_path / "proj", "code-big", plugin_bin.parent, FOLDER, OUTPUTS)
    (proj / "app").mkdir()
    (proj / "app" / "index.js").write_text("exports.handler = async () => ({ statusCode: 200 });\n")
    with open(proj / "app" / "blob.bin", "wb") as f:  # random bytes do not compress
        for _ in range(60):
            f.write(os.urandom(1 << 20))
    seen = []
    add = RECORDER.add
    monkeypatch.setattr(RECORDER, "add", lambda proxy, request, checked: (
        seen.append(f"{checked.service} {checked.operation} ({request})"),
        add(proxy, request, checked)))
    # the validating proxy does see this test's requests
    aws.boto3_client("lambda").list_functions()
    assert len(seen) == 1, seen
    seen.clear()

    pulumi.run("stack", "init", "dev", cwd=proj)
    # Configure asks STS who we are unless told not to; without that call, any request would be
    # the refused stack's own
    pulumi.run("config", "set", "secureapi:skipCredentialsValidation", "true", cwd=proj)
    for cmd in (["preview"], ["up", "--yes", "--skip-preview"]):
        r = pulumi.run(*cmd, cwd=proj, check=False)
        assert r.returncode != 0, r.stdout
        out = r.stdout + r.stderr
        assert "lambdaCode" in out and "MB zipped" in out and "at most 50 MB" in out, out
    assert seen == [], seen
    assert aws.boto3_client("lambda").list_functions()["Functions"] == []
