"""Fixtures of the e2e suite: `sdk_built` builds the generated SDKs (tools/sdk/build-sdk.sh: the
Node.js SDK compiled into sdk-shim/nodejs/bin, the Python SDK installed into the test venv) once
per session, for the tests that run TypeScript or Python programs."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sdk_built():
    env = dict(os.environ, VENV=str(Path(sys.executable).parent.parent))
    subprocess.run(["bash", str(REPO / "tools" / "sdk" / "build-sdk.sh")], check=True,
                   timeout=600, env=env)
    return REPO / "sdk-shim" / "nodejs" / "bin"
