"""The windows-amd64 and windows-arm64 release binaries. Both: a PE32+ console executable for the
right machine, importing only DLLs every Windows 10 has (no MinGW, C++ or OpenSSL runtime DLL
beside it), its header's minimum Windows version no newer than the floor the README states, and
stripped.
windows-amd64 also runs under wine, in a headless prefix this suite makes: it prints its port,
answers GetPluginInfo, GetSchema and Configure, and deploys and destroys a stack in moto driven
over gRPC from Linux. (wine cannot run arm64 PE on amd64: windows-arm64 gets the checks alone.)"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.plugin import start_configured, struct
from harness.resource import TYPE, URN
from harness.stack_checks import REGION, check_stack_in_moto, everything
from harness.wine import make_prefix
from release.common import REPO, answers_info_and_schema

MACHINE = {"windows-amd64": "IMAGE_FILE_MACHINE_AMD64", "windows-arm64": "IMAGE_FILE_MACHINE_ARM64"}
# DLLs of Windows itself (the API sets are the Universal CRT's, part of Windows 10)
SYSTEM_DLLS = re.compile(r"^(kernel32|ntdll|advapi32|ws2_32|crypt32|bcrypt|bcryptprimitives|"
                         r"dbghelp|iphlpapi|user32|shell32|ole32|secur32|userenv|"
                         r"api-ms-win-[a-z0-9-]+)\.dll$", re.IGNORECASE)


def readobj(binary: Path, *args: str) -> str:
    return subprocess.run(["llvm-readobj-14", *args, str(binary)], check=True, text=True,
                          capture_output=True).stdout


def stated_windows_floor() -> tuple[int, int]:
    found = re.findall(r"Windows (\d+) \(version (\d+)\.(\d+)\) or later",
                       (REPO / "README.md").read_text())
    assert len(set(found)) == 1, f"README.md should state one Windows floor: {found}"
    return int(found[0][1]), int(found[0][2])


@pytest.mark.parametrize("target", sorted(MACHINE))
def test_pe_imports_only_system_dlls(unpacked, target):
    binary = unpacked(target)
    headers = readobj(binary, "--file-headers")
    assert f"Machine: {MACHINE[target]}" in headers, headers
    assert "Magic: 0x20B" in headers  # PE32+
    assert "IMAGE_SUBSYSTEM_WINDOWS_CUI" in headers  # a console program: the engine reads stdout
    imports = re.findall(r"Name: (\S+\.dll)", readobj(binary, "--coff-imports"), re.IGNORECASE)
    assert imports, "no imports read"
    foreign = sorted({i for i in imports if not SYSTEM_DLLS.match(i)})
    assert foreign == [], f"needs DLLs Windows does not have: {foreign}"
    # the header's minimum version lets the README's floor load it (zig writes 6.0, Vista's,
    # whatever the target says; the floor is set by the API level the code is built for)
    major = int(re.search(r"MajorSubsystemVersion: (\d+)", headers).group(1))
    minor = int(re.search(r"MinorSubsystemVersion: (\d+)", headers).group(1))
    assert (6, 0) <= (major, minor) <= stated_windows_floor(), headers
    # stripped: no COFF symbol table, no DWARF sections (zig keeps debug information in a .pdb
    # beside the build, which is not shipped)
    assert re.search(r"PointerToSymbolTable: 0x0\b", headers), headers
    assert re.search(r"SymbolCount: 0\b", headers), headers
    sections = re.findall(r"Name: (\S+) \(", readobj(binary, "--sections"))
    assert ".text" in sections and not [s for s in sections if s.startswith(".debug")], sections


@pytest.fixture(scope="module")
def wine_env(tmp_path_factory) -> dict:
    """A headless wine prefix of its own (harness/wine.py): its variables."""
    return make_prefix(tmp_path_factory.mktemp("wineprefix"))


def test_windows_amd64_serves_and_deploys_under_wine(unpacked, version, wine_env, aws, engine,
                                                     tmp_path):
    binary = unpacked("windows-amd64")
    plugin = start_configured(binary, engine, tmp_path / "plugin.stderr",
                              {**aws.client_env(REGION), **wine_env}, wrapper=["wine"])
    try:
        answers_info_and_schema(plugin, version)
        inputs = plugin.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=struct({}), news=struct({"environmentSuffix": "win"}),
            randomSeed=b"w", name="api", type=TYPE), timeout=120).inputs
        r = plugin.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs, name="api",
                                                          type=TYPE), timeout=600)
        check_stack_in_moto(aws, json_format.MessageToDict(r.properties))
        plugin.stub.Delete(provider_pb2.DeleteRequest(id=r.id, urn=URN, properties=r.properties,
                                                      name="api", type=TYPE), timeout=600)
        left = everything(aws)
        assert left == {k: [] for k in left}, left
    finally:
        plugin.close()
