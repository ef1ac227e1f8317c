"""The darwin-amd64 and darwin-arm64 release binaries, checked structurally (nothing here can run
Mach-O): a 64-bit Mach-O executable for the right CPU, loading no dylib but libSystem (every
undefined symbol bound to it: the link failed on any other), its minimum macOS the one the README
states, stripped of local and debug symbols, and for arm64 (where macOS kills an unsigned binary)
an ad-hoc code signature whose page hashes match the file's pages, recomputed here."""
from __future__ import annotations

import hashlib
import re
import struct
import subprocess
from pathlib import Path

import pytest

from release.common import REPO

CPU = {"darwin-amd64": "X86_64", "darwin-arm64": "ARM64"}
LIBSYSTEM = "/usr/lib/libSystem.B.dylib"


def objdump(binary: Path, *args: str) -> str:
    return subprocess.run(["llvm-objdump-14", "--macho", *args, str(binary)], check=True,
                          text=True, capture_output=True).stdout


def stated_macos_floor() -> str:
    found = set(re.findall(r"macOS (\d+(?:\.\d+)?) or later", (REPO / "README.md").read_text()))
    assert len(found) == 1, f"README.md should state one macOS floor: {found}"
    return found.pop()


@pytest.mark.parametrize("target", sorted(CPU))
def test_macho_loads_only_libsystem(unpacked, target):
    binary = unpacked(target)
    headers = objdump(binary, "--private-headers")
    assert re.search(rf"MH_MAGIC_64\s+{CPU[target]}\s+\S+\s+\S+\s+EXECUTE", headers), headers[:600]
    dylibs = re.findall(r"cmd LC_LOAD(?:_WEAK)?_DYLIB\n\s+cmdsize \d+\n\s+name (\S+)", headers)
    assert dylibs == [LIBSYSTEM], dylibs
    # the minimum macOS (LC_BUILD_VERSION) is the one the README states
    minos = re.findall(r"cmd LC_BUILD_VERSION\n(?:.*\n)*?\s+minos (\S+)", headers)
    assert minos and minos[0] in (stated_macos_floor(), stated_macos_floor() + ".0"), minos
    # every undefined symbol comes from libSystem (two-level namespace: nm names the library)
    undefined = subprocess.run(["llvm-nm-14", "-m", "-u", str(binary)], check=True, text=True,
                               capture_output=True).stdout.splitlines()
    assert undefined, "no undefined symbols read"
    elsewhere = [u for u in undefined if "(from libSystem)" not in u]
    assert elsewhere == [], elsewhere[:20]
    # stripped: no debug (stab) entries, and a thousand or so symbols left of the hundred
    # thousand the link made (what dyld and the unwinder need)
    symbols = subprocess.run(["llvm-nm-14", "-a", str(binary)], check=True, text=True,
                             capture_output=True).stdout.splitlines()
    stabs = [s for s in symbols if re.match(r"^\S+ - ", s)]
    assert stabs == [] and len(symbols) < 3000, (len(stabs), len(symbols))


LC_CODE_SIGNATURE = 0x1D
CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CS_HASHTYPE_SHA256 = 2


def code_signature_pages(data: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    """(the number of pages, [(hash in the signature, hash of the page)]) of a Mach-O 64 file's
    embedded code signature, from its CodeDirectory: page i is data[i*pagesize:] up to the
    code limit, hashed with the directory's hash type."""
    magic, _cpu, _sub, _type, ncmds, _size, _flags, _res = struct.unpack_from("<IiiIIIII", data)
    assert magic == 0xFEEDFACF
    off = 32
    sig = None
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", data, off)
        if cmd == LC_CODE_SIGNATURE:
            sig = struct.unpack_from("<II", data, off + 8)
        off += cmdsize
    assert sig is not None, "no LC_CODE_SIGNATURE"
    dataoff, _datasize = sig
    smagic, _length, count = struct.unpack_from(">III", data, dataoff)
    assert smagic == CSMAGIC_EMBEDDED_SIGNATURE
    pairs = []
    for i in range(count):
        _slot, boff = struct.unpack_from(">II", data, dataoff + 12 + 8 * i)
        cd = dataoff + boff
        if struct.unpack_from(">I", data, cd)[0] != CSMAGIC_CODEDIRECTORY:
            continue
        (_m, _len, _ver, _fl, hash_off, _ident, _nspecial, ncode, code_limit, hash_size,
         hash_type, _platform, page_log2) = struct.unpack_from(">IIIIIIIIIBBBB", data, cd)
        assert hash_type == CS_HASHTYPE_SHA256 and hash_size == 32
        page = 1 << page_log2
        assert code_limit == dataoff, "the signature covers the file up to itself"
        for n in range(ncode):
            stored = data[cd + hash_off + n * hash_size:cd + hash_off + (n + 1) * hash_size]
            chunk = data[n * page:min((n + 1) * page, code_limit)]
            pairs.append((stored, hashlib.sha256(chunk).digest()))
        return ncode, pairs
    raise AssertionError("no CodeDirectory in the signature")


def test_darwin_arm64_signature_matches_its_pages(unpacked):
    data = unpacked("darwin-arm64").read_bytes()
    pages, pairs = code_signature_pages(data)
    assert pages > 100  # a few MB in 4 KiB pages
    bad = [i for i, (stored, actual) in enumerate(pairs) if stored != actual]
    assert bad == [], f"{len(bad)} of {pages} page hashes do not match (first: {bad[:5]})"


def test_page_hash_check_fails_on_a_changed_page(unpacked):
    """The check above catches a binary changed after signing (as a strip that breaks the
    signature would): one byte changed in one page gives exactly that page's mismatch."""
    data = bytearray(unpacked("darwin-arm64").read_bytes())
    data[5 * 4096 + 17] ^= 0xFF
    _pages, pairs = code_signature_pages(bytes(data))
    assert [i for i, (s, a) in enumerate(pairs) if s != a] == [5]
