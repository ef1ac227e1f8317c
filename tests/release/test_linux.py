"""The linux-amd64 and linux-arm64 release binaries: fully static ELF executables (no program
interpreter, no dynamic section, so no libc or other library is needed: musl is linked in), of
the right machine, non-PIE and stripped; each answers GetPluginInfo and GetSchema in an EMPTY root
(a directory holding only the binary, and for arm64 the static qemu-user that runs it) under
chroot; the amd64 one also in a Debian 11 (bullseye, glibc 2.31) minimal root."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.plugin import Plugin
from release.common import answers_info_and_schema, minbase_root

MACHINE = {"linux-amd64": "Advanced Micro Devices X86-64", "linux-arm64": "AArch64"}


def readelf(*args: str) -> str:
    return subprocess.run(["readelf", "-W", *args], check=True, text=True,
                          capture_output=True).stdout


@pytest.mark.parametrize("target", sorted(MACHINE))
def test_binary_is_static_and_stripped(unpacked, target):
    binary = str(unpacked(target))
    header = readelf("-h", binary)
    assert re.search(rf"Machine:\s+{MACHINE[target]}\n", header), header
    # non-PIE (meson.build's static_release): nothing to relocate at start
    assert re.search(r"Type:\s+EXEC ", header), header
    segments = readelf("-l", binary)
    assert "INTERP" not in segments and "DYNAMIC" not in segments, segments
    assert "There is no dynamic section" in readelf("-d", binary)
    sections = readelf("-S", binary)
    assert ".symtab" not in sections and ".debug_info" not in sections, "not stripped"


def run_in_empty_root(binary: Path, tmp_path: Path, qemu: str | None = None) -> Plugin:
    """Starts the binary chrooted into a directory that holds nothing else (and the static
    qemu-user when one runs it); the caller closes the plugin."""
    root = tmp_path / "empty-root"
    root.mkdir()
    shutil.copy2(binary, root / binary.name)
    wrapper = ["chroot", str(root)]
    if qemu:
        shutil.copy2(shutil.which(qemu), root / qemu)
        wrapper.append(f"/{qemu}")
    assert sorted(p.name for p in root.iterdir()) == sorted(filter(None, [binary.name, qemu]))
    return Plugin(Path("/") / binary.name, wrapper=wrapper, stderr_path=tmp_path / "err")


def test_amd64_runs_in_an_empty_root(unpacked, version, tmp_path):
    plugin = run_in_empty_root(unpacked("linux-amd64"), tmp_path)
    try:
        answers_info_and_schema(plugin, version)
    finally:
        plugin.close()


def test_arm64_runs_under_qemu_user_in_an_empty_root(unpacked, version, tmp_path):
    plugin = run_in_empty_root(unpacked("linux-arm64"), tmp_path, qemu="qemu-aarch64-static")
    try:
        answers_info_and_schema(plugin, version)
    finally:
        plugin.close()


def test_amd64_runs_in_a_debian_11_root(unpacked, version, tmp_path):
    root = minbase_root("amd64", "bullseye")
    glibc = subprocess.run(["chroot", str(root), "/usr/bin/ldd", "--version"], text=True,
                           capture_output=True).stdout.splitlines()[0]
    assert glibc.endswith(" 2.31"), glibc  # Debian 11's, older than any glibc build we made
    inside = Path("/opt/secureapi-test") / tmp_path.name
    (root / inside.relative_to("/")).mkdir(parents=True)
    try:
        shutil.copy2(unpacked("linux-amd64"), root / inside.relative_to("/"))
        plugin = Plugin(inside / "pulumi-resource-secureapi", wrapper=["chroot", str(root)],
                        stderr_path=tmp_path / "err")
        try:
            answers_info_and_schema(plugin, version)
        finally:
            plugin.close()
    finally:
        shutil.rmtree(root / inside.relative_to("/"))
