"""`pulumi import` of a stack created outside Pulumi: the stack is made directly through the
plugin (no Pulumi state), then imported into a TypeScript project by its id
(<region>/<function name>); the generated program code, used as the project's program, previews
with no changes, and destroy removes everything."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pulumi.runtime.proto import provider_pb2

from harness.plugin import Plugin, RecordingEngine, struct
from harness.stack_checks import everything

REPO = Path(__file__).resolve().parents[2]
TYPE = "secureapi:index:SecureApiStack"



def create_outside_pulumi(plugin_bin, aws, tmp_path) -> str:
    engine = RecordingEngine()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws.client_env())
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "outside.stderr")
    try:
        p.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True))
        urn = f"urn:pulumi:other::elsewhere::{TYPE}::legacy"
        inputs = p.stub.Check(provider_pb2.CheckRequest(
            urn=urn, olds=struct({}), news=struct({"environmentSuffix": "legacy",
                                                   "lambdaMemorySize": 1024,
                                                   "tags": {"team": "old"}}),
            randomSeed=b"legacy", name="legacy", type=TYPE)).inputs
        return p.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=inputs,
                                                        name="legacy", type=TYPE)).id
    finally:
        p.close()
        engine.stop()


def test_import_generates_working_code(pulumi, aws, plugin_bin, tmp_path):
    stack_id = create_outside_pulumi(plugin_bin, aws, tmp_path)
    env = dict(os.environ, VENV=str(Path(sys.executable).parent.parent))
    subprocess.run(["bash", str(REPO / "tools/sdk/build-sdk.sh")], check=True, env=env,
                   timeout=600, capture_output=True)
    proj = tmp_path / "imported"
    shutil.copytree(REPO / "examples" / "typescript", proj,
                    ignore=shutil.ignore_patterns("node_modules", "bin", "step2", "lib"))
    pkg = json.loads((proj / "package.json").read_text())
    pkg["dependencies"]["pulumi-secureapi"] = f"file:{REPO / 'sdk-shim/nodejs/bin'}"
    (proj / "package.json").write_text(json.dumps(pkg, indent=2))
    tsconfig = json.loads((proj / "tsconfig.json").read_text())
    tsconfig["files"] = ["index.ts"]
    (proj / "tsconfig.json").write_text(json.dumps(tsconfig, indent=2))
    (proj / "index.ts").write_text("// filled in by pulumi import\n")
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                    "--loglevel=error", "--prefer-offline"], cwd=proj, check=True, timeout=600)
    run_env = {"PATH": f"{plugin_bin.parent}{os.pathsep}{pulumi.env['PATH']}"}
    pulumi.run("stack", "init", "imp", cwd=proj, env=run_env)
    pulumi.run("config", "set", "environmentSuffix", "legacy", cwd=proj, env=run_env)
    pulumi.run("import", TYPE, "legacy", stack_id, "--yes", "--protect=false",
               "--out", str(proj / "generated.ts"), cwd=proj, env=run_env)
    code = (proj / "generated.ts").read_text()
    assert "new secureapi.SecureApiStack(\"legacy\"" in code, code
    assert "environmentSuffix: \"legacy\"" in code and "lambdaMemorySize: 1024" in code
    assert "__names" not in code
    (proj / "index.ts").write_text(code)
    pulumi.run("preview", "--expect-no-changes", cwd=proj, env=run_env)
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=run_env)
    left = everything(aws)
    assert left == {k: [] for k in left}, left
