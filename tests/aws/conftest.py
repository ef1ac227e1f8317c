"""Fixtures of the aws suite: the aws_probe CLI (one call of the provider's C AWS client per run,
outcome as JSON) and a FaultServer (faultserver.py) that plays AWS error answers on loopback.

The probe runs with a clean environment: no AWS_* or proxy variables from the developer's shell,
HOME pointing at an empty folder, EC2 metadata disabled, so nothing but 127.0.0.1 is contacted.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from faultserver import FaultServer
from harness.build import build_dir

REPO = Path(__file__).resolve().parent.parent.parent


@dataclass
class ProbeResult:
    rc: int
    out: dict
    stderr: str
    wall_ms: float


@pytest.fixture(scope="session")
def probe_bin() -> Path:
    p = build_dir() / "tests" / "unit" / "aws" / "aws_probe"
    if not p.exists():
        pytest.fail(f"aws_probe not built: {p} (meson compile -C build)")
    return p


@pytest.fixture
def probe(probe_bin, tmp_path):
    """probe(*args, env={...}) runs aws_probe and returns a ProbeResult."""
    home = tmp_path / "home"
    home.mkdir()

    def run(*args: str, env: dict | None = None, timeout: float = 60) -> ProbeResult:
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("AWS_") and k.lower() not in
             ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        e.update({
            "HOME": str(home),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "AWS_REGION": "ap-southeast-1",
        })
        if env:
            e.update(env)
        t0 = time.monotonic()
        p = subprocess.run([str(probe_bin), *args], env=e, capture_output=True, text=True,
                           timeout=timeout)
        wall = (time.monotonic() - t0) * 1000
        try:
            out = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {}
        except json.JSONDecodeError:
            raise AssertionError(f"aws_probe printed no JSON: {p.stdout!r} {p.stderr!r}")
        return ProbeResult(p.returncode, out, p.stderr, wall)

    return run


@pytest.fixture
def fault_server():
    s = FaultServer()
    try:
        yield s
    finally:
        s.stop()
