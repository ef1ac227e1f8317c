"""Fixtures of the release tests: the release folder tools/release/release.sh made (the README's
release command; tests/check.sh runs it first with SECUREAPI_RELEASE_TARGETS=available) and the
targets' tarballs unpacked. A target the release command left out (its libraries are not built on
this machine yet: it names them in <dist>/SKIPPED and says so loudly) makes its tests skip with
that reason; linux-amd64 is never left out."""
from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from release.common import REPO, binary_name, tarball, tool


@pytest.fixture(scope="session")
def dist() -> Path:
    """The release folder tests/check.sh made before the suites (SECUREAPI_RELEASE_DIST); run
    alone, the suite runs the release command itself, once, for every target."""
    if os.environ.get("SECUREAPI_RELEASE_DIST"):
        return Path(os.environ["SECUREAPI_RELEASE_DIST"])
    return Path(tool("release.sh", str(REPO / "build-release" / "dist")))


@pytest.fixture(scope="session")
def skipped(dist) -> set[str]:
    f = dist / "SKIPPED"
    return set(f.read_text().split()) if f.exists() else set()


@pytest.fixture(scope="session")
def unpacked(dist, skipped, tmp_path_factory, version):
    """target -> the binary from its tarball (skips a target the release command left out)."""
    cache: dict[str, Path] = {}

    def get(target: str) -> Path:
        if target in skipped:
            pytest.skip(f"{target} was not built on this machine (its libraries are not cached; "
                        f"tools/release/release.sh builds them): see {dist / 'SKIPPED'}")
        if target not in cache:
            d = tmp_path_factory.mktemp(f"unpacked-{target}")
            with tarfile.open(tarball(dist, version, target)) as t:
                t.extractall(d, filter="data")
            cache[target] = d / binary_name(target)
        return cache[target]
    return get
