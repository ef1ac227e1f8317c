"""Helpers of the release tests: the six targets, the tools/release scripts, the minimal
Debian roots, and the check that a binary answers GetPluginInfo and GetSchema."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from harness.plugin import Plugin

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "release"
TARGETS = ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64",
           "windows-arm64"]


def tool(*args: str, env: dict | None = None) -> str:
    return subprocess.run(["bash", str(TOOLS / args[0]), *args[1:]], check=True, text=True,
                          stdout=subprocess.PIPE, timeout=3600,
                          env=None if env is None else {**os.environ, **env}
                          ).stdout.strip().splitlines()[-1]


def binary_name(target: str) -> str:
    return "pulumi-resource-secureapi" + (".exe" if target.startswith("windows") else "")


def tarball(dist: Path, version: str, target: str) -> Path:
    return dist / f"pulumi-resource-secureapi-v{version}-{target}.tar.gz"


def minbase_root(arch: str, suite: str | None = None) -> Path:
    """A debootstrap --variant=minbase root (Debian 12 unless suite says otherwise)."""
    env = {"SECUREAPI_ROOTFS_SUITE": suite} if suite else None
    root = Path(tool("make-minbase-root.sh", arch, env=env))
    # what a test killed half-way may have left in the shared root
    shutil.rmtree(root / "opt/secureapi-test", ignore_errors=True)
    shutil.rmtree(root / "etc/pki", ignore_errors=True)
    return root


def answers_info_and_schema(plugin: Plugin, version: str) -> None:
    info = plugin.stub.GetPluginInfo(empty_pb2.Empty(), timeout=60)
    assert info.version == version
    schema = json.loads(plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=60).schema)
    assert schema["name"] == "secureapi" and schema["version"] == version
    assert "secureapi:index:SecureApiStack" in schema["resources"]
