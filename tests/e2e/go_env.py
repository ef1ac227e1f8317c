"""The Go environment of tools/sdk/go-env.sh for tests that build Go code (the Go SDK, the Go
example, the Go programs of the docs): GOPATH and GOMODCACHE under the project's cache folder, so
the module downloads (github.com/pulumi/pulumi/sdk/v3 and its dependencies) happen once per machine;
and `use_local_sdk`, which points a copied Go program's replace directive at the repository's
sdk-shim/go."""
from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SDK = REPO / "sdk-shim" / "go"
MODULE = "github.com/pulumi-secureapi/pulumi-secureapi/sdk/go"


@functools.cache
def go_env() -> dict[str, str]:
    """The GO* variables go-env.sh exports (read from a shell that sourced it)."""
    out = subprocess.run(
        ["bash", "-c", f"source {REPO / 'tools/sdk/go-env.sh'} && env -0"],
        check=True, capture_output=True, text=True).stdout
    pairs = (kv.split("=", 1) for kv in out.split("\0") if "=" in kv)
    return {k: v for k, v in pairs if k.startswith("GO") or k == "CGO_ENABLED"}


def use_local_sdk(program: Path) -> None:
    """Points the program's go.mod replace of the SDK module at sdk-shim/go (absolute)."""
    subprocess.run(["go", "mod", "edit", f"-replace={MODULE}={SDK}"], cwd=program, check=True)


def go(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    p = subprocess.run(["go", *args], cwd=cwd, env={**os.environ, **go_env()},
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"go {' '.join(args)} failed in {cwd}:\n{p.stdout}\n{p.stderr}"
    return p
