"""The release workflow (.github/workflows/release.yml) as GitHub would run it: actionlint (built
from Go modules by tools/setup/install-actionlint.sh, cached per version) finds nothing in it,
and does fail on a broken copy (so this check can fail); the workflow runs on v* tags with a
GITHUB_TOKEN limited to `contents: write`, builds with tools/release/release.sh, runs the release
tests against that folder, and uploads every file of the folder to the tag's release."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="session")
def actionlint() -> str:
    if os.environ.get("SECUREAPI_ACTIONLINT"):
        return os.environ["SECUREAPI_ACTIONLINT"]
    out = subprocess.run(["bash", str(REPO / "tools" / "setup" / "install-actionlint.sh")],
                         check=True, text=True, stdout=subprocess.PIPE, timeout=900).stdout
    return out.strip().splitlines()[-1]


def lint(actionlint: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([actionlint, "-no-color", str(path)], cwd=path.parent, text=True,
                          capture_output=True, timeout=120)


def test_actionlint_passes_the_release_workflow(actionlint):
    p = lint(actionlint, WORKFLOW)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("old,new,message", [
    # a misspelt key, an unknown expression context, a permission GitHub does not have
    ("runs-on: ubuntu-24.04", "run-on: ubuntu-24.04", 'unexpected key "run-on"'),
    ("${{ secrets.GITHUB_TOKEN }}", "${{ secret.GITHUB_TOKEN }}", 'undefined variable "secret"'),
    ("  contents: write", "  content: write", 'unknown permission scope "content"'),
], ids=["key", "expression", "permission"])
def test_actionlint_fails_on_a_broken_workflow(actionlint, old, new, message, tmp_path):
    text = WORKFLOW.read_text()
    assert old in text
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace(old, new, 1))
    p = lint(actionlint, broken)
    assert p.returncode != 0 and message in p.stdout, p.stdout + p.stderr


def test_workflow_builds_tests_and_uploads_every_release_file():
    doc = yaml.safe_load(WORKFLOW.read_text())
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert on == {"push": {"tags": ["v*"]}}
    assert doc["permissions"] == {"contents": "write"}
    (job,) = doc["jobs"].values()
    assert "permissions" not in job  # the workflow-level grant is the only one
    runs = [s.get("run", "") for s in job["steps"]]
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert all("@v" in u for u in uses), uses  # actions pinned by version
    build = next(i for i, r in enumerate(runs) if "tools/release/release.sh" in r)
    tests = next(i for i, r in enumerate(runs) if "tests/release" in r)
    upload = next(i for i, r in enumerate(runs) if "gh release create" in r)
    assert build < tests < upload
    assert "tests/e2e/test_release_host.py" in runs[tests]
    assert job["steps"][tests]["env"]["SECUREAPI_RELEASE_DIST"].endswith("/dist")
    # every file of the release folder (release.sh's ASSETS and SHA256SUMS), checked first
    assert "cd dist" in runs[upload] and "./*" in runs[upload]
    assert "sha256sum -c SHA256SUMS" in runs[upload]
    assert job["steps"][upload]["env"] == {"GH_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
