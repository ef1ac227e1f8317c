"""The language hosts our users' programs run in, with the pinned CLI: a TypeScript program
(Node.js + @pulumi/pulumi from npm) and a Python program (the venv's pulumi package) each run
`pulumi up` offline and produce their stack output."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent / "programs"


@pytest.fixture(scope="session")
def ts_hello(tmp_path_factory) -> Path:
    proj = tmp_path_factory.mktemp("ts") / "ts-hello"
    shutil.copytree(PROGRAMS / "ts-hello", proj)
    npm = shutil.which("npm")
    assert npm, "npm not found (tests/check.sh installs Node.js)"
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock",
                    "--loglevel=error", "--prefer-offline"], cwd=proj, check=True, timeout=600)
    return proj


def up_and_output(pulumi, proj: Path, env: dict | None = None) -> dict:
    pulumi.run("stack", "init", "dev", cwd=proj, env=env)
    pulumi.run("config", "set", "who", "tests", cwd=proj, env=env)
    pulumi.run("up", "--yes", "--skip-preview", "--color", "never", cwd=proj, env=env)
    out = json.loads(pulumi.run("stack", "output", "--json", cwd=proj, env=env).stdout)
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=env)
    return out


def test_typescript_program(pulumi, ts_hello):
    assert up_and_output(pulumi, ts_hello) == {"greeting": "hello tests from TypeScript"}


def test_python_program(pulumi, tmp_path):
    proj = tmp_path / "py-hello"
    shutil.copytree(PROGRAMS / "py-hello", proj)
    venv_bin = str(Path(sys.executable).parent)
    env = {"PATH": f"{venv_bin}{os.pathsep}{pulumi.env['PATH']}"}
    assert up_and_output(pulumi, proj, env) == {"greeting": "hello tests from Python"}
