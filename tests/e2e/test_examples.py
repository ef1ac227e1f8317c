"""The user's path with the real CLI, in each language: the examples/ programs (TypeScript with the
generated SDK, Python with the generated SDK, Go with the generated Go SDK through the Go language
host, and YAML) deploy to moto with `pulumi up`; a second
up and preview change nothing; the function runs the example's own code with its handler and
runtime (the TypeScript handler/index.js as index.js of an AssetArchive, the Python and YAML app/
folders: the package rebuilt from those files is what moto holds and what the state records);
refresh finds nothing; the step2 edit is an in-place update (no replacement, read from the
engine's JSON) that leaves the code alone; a suffix change is a replacement; an out-of-band
deleted log group is found by refresh and repaired by up; destroy leaves nothing in the six
services."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from code_checks import assert_deployed, folder_files, package, text_archive
from go_env import go_env, use_local_sdk
from harness.stack_checks import everything

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def prepare(lang: str, dest: Path, sdk_bin: Path) -> Path:
    proj = dest / lang
    shutil.copytree(EXAMPLES / lang, proj, ignore=shutil.ignore_patterns("node_modules", "bin"))
    if lang == "typescript":
        pkg = json.loads((proj / "package.json").read_text())
        pkg["dependencies"]["pulumi-secureapi"] = f"file:{sdk_bin}"
        (proj / "package.json").write_text(json.dumps(pkg, indent=2))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                        "--loglevel=error", "--prefer-offline"], cwd=proj, check=True,
                       timeout=600)
    if lang == "go":
        use_local_sdk(proj)
    return proj


def apply_step2(lang: str, proj: Path) -> None:
    for f in (proj / "step2").iterdir():
        shutil.copy(f, proj / f.name)


def example_code(lang: str, proj: Path, out: Path) -> tuple[Path, dict[str, bytes]]:
    """The package the example must deploy, and the files it must hold."""
    if lang in ("typescript", "go"):
        text = (proj / "handler" / "index.js").read_text()
        return (package(proj, out, value=text_archive({"index.js": text})),
                {"index.js": text.encode()})
    return package(proj, out, path="app"), folder_files(proj / "app")


def ops(preview_json: str) -> dict:
    steps = json.loads(preview_json).get("steps", [])
    return {s["urn"].split("::")[-1]: s["op"] for s in steps}


@pytest.mark.parametrize("lang", ["typescript", "python", "yaml", "go"])
def test_example_lifecycle(lang, pulumi, aws, plugin_bin, sdk_built, tmp_path):
    proj = prepare(lang, tmp_path, sdk_built)
    env = {"PATH": f"{plugin_bin.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                   f"{pulumi.env['PATH']}"}
    if lang == "go":
        env.update(go_env())  # the Go host builds the program with the cached module downloads
    run = lambda *a, **kw: pulumi.run(*a, cwd=proj, env=env, **kw)  # noqa: E731

    run("stack", "init", "e2e")
    run("config", "set", "environmentSuffix", "e2e")
    run("up", "--yes", "--skip-preview")
    out = json.loads(run("stack", "output", "--json").stdout)
    assert set(out) == {"apiUrl", "functionName", "kmsKeyId", "logGroupName"}
    assert re.fullmatch(r"https://[a-z0-9]+\.execute-api\.ap-southeast-1\.amazonaws\.com/prod",
                        out["apiUrl"])
    assert re.fullmatch(r"secure-api-stack-e2e-[0-9a-f]{7}", out["functionName"])
    assert re.fullmatch(r"[0-9a-f-]{36}", out["kmsKeyId"])
    assert out["logGroupName"] == "/aws/lambda/" + out["functionName"]
    # what the program says is what moto has
    fn = aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    assert fn["Configuration"]["MemorySize"] == 256
    assert fn["Tags"]["ManagedBy"] == "pulumi" and fn["Tags"]["Environment"] == "e2e"
    (group,) = aws.boto3_client("logs").describe_log_groups(
        logGroupNamePrefix=out["logGroupName"])["logGroups"]
    key_arn = aws.boto3_client("kms").describe_key(KeyId=out["kmsKeyId"])["KeyMetadata"]["Arn"]
    assert group["kmsKeyId"] == key_arn and group["retentionInDays"] == 7
    api_id = out["apiUrl"].split("//")[1].split(".")[0]
    assert aws.boto3_client("apigateway").get_stage(restApiId=api_id, stageName="prod")
    # the function runs the example's own code
    cfg = fn["Configuration"]
    handler, runtime = {"python": ("app.handler", "python3.13")}.get(
        lang, ("index.handler", "nodejs22.x"))
    assert (cfg["Handler"], cfg["Runtime"]) == (handler, runtime)
    zip_path, files = example_code(lang, proj, tmp_path / "expected.zip")
    assert {"typescript": {"index.js"}, "yaml": {"index.js"}, "go": {"index.js"},
            "python": {"app.py", "apiresponse/__init__.py"}}[lang] == set(files)
    code_sha = assert_deployed(aws, pulumi, proj, out["functionName"], zip_path, files, env)

    # nothing to do the second time, and nothing drifted
    run("up", "--yes", "--skip-preview", "--expect-no-changes")
    run("preview", "--expect-no-changes")
    run("refresh", "--yes", "--expect-no-changes")

    # step2: an in-place update, no replacement
    apply_step2(lang, proj)
    plan = ops(run("preview", "--json").stdout)
    assert plan["secure-api-stack"] == "update", plan
    run("up", "--yes", "--skip-preview")
    fn = aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    assert fn["Configuration"]["MemorySize"] == 512
    (group,) = aws.boto3_client("logs").describe_log_groups(
        logGroupNamePrefix=out["logGroupName"])["logGroups"]
    assert group["retentionInDays"] == 30
    assert json.loads(run("stack", "output", "--json").stdout) == out  # same stack, same names
    assert fn["Configuration"]["CodeSha256"] == code_sha  # the code was not touched

    # out-of-band deletion of the log group: refresh sees it, up repairs it
    aws.boto3_client("logs").delete_log_group(logGroupName=out["logGroupName"])
    r = run("refresh", "--yes", "--expect-no-changes", check=False)
    assert r.returncode != 0, "refresh should have found the deleted log group"
    run("refresh", "--yes")
    assert ops(run("preview", "--json").stdout)["secure-api-stack"] == "update"
    run("up", "--yes", "--skip-preview")
    (group,) = aws.boto3_client("logs").describe_log_groups(
        logGroupNamePrefix=out["logGroupName"])["logGroups"]
    assert group["kmsKeyId"] == key_arn and group["retentionInDays"] == 30

    # a new suffix is a replacement
    run("config", "set", "environmentSuffix", "e2e2")
    assert ops(run("preview", "--json").stdout)["secure-api-stack"] == "replace"

    run("destroy", "--yes", "--skip-preview")
    left = everything(aws)
    assert left == {k: [] for k in left}, left
