"""The function's deployment package (provider/stack/code.c and base/zip.c, through the
tests/unit/code_probe CLI), checked with two independent readers, Info-ZIP's `unzip -t` and
Python's zipfile: a folder with nested folders, an executable, an empty folder, a symbolic link
and non-ASCII names; an AssetArchive of StringAsset, FileAsset and a nested archive; the same
files from a folder, a .zip, a .tar and a .tgz give the same bytes; touching files changes
nothing, editing one byte changes the hash; more than 65,535 entries take ZIP64 records; links
that loop, remote archives and members outside the archive are refused; Lambda's 50 MB zipped
and 250 MB unzipped limits are refused naming the size and the limit."""
from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness.build import build_dir

SIG = "4dabf18193072939515e22adb298388d"
ASSET = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"


def probe(tmp_path: Path, *, path: Path | None = None, value: dict | None = None):
    """Packages a folder/file path or an archive value; returns (result, zip path)."""
    out = tmp_path / f"package-{len(list(tmp_path.glob('package-*.zip')))}.zip"
    if value is not None:
        spec = tmp_path / "value.json"
        spec.write_text(json.dumps(value))
        args = ["--json", str(spec)]
    else:
        args = ["--path", str(path)]
    r = subprocess.run([str(build_dir() / "tests" / "code_probe"), str(out), *args],
                       capture_output=True, text=True, cwd=tmp_path)
    result = json.loads(r.stdout)
    assert (r.returncode == 0) == ("error" not in result), r
    return result, out


def unzip_ok(path: Path) -> None:
    r = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)
    assert r.returncode == 0 and "No errors detected" in r.stdout, r.stdout + r.stderr


def contents(path: Path) -> dict[str, tuple[bytes, int]]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {i.filename: (z.read(i) if not i.is_dir() else b"", i.external_attr >> 16)
                for i in z.infolist()}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    d = tmp_path / "code"
    (d / "lib" / "deep").mkdir(parents=True)
    (d / "empty").mkdir()
    (d / "index.js").write_text("exports.handler = async () => ({statusCode: 200});\n")
    (d / "lib" / "deep" / "util.js").write_text("module.exports = 1;\n")
    (d / "bin").mkdir()
    (d / "bin" / "run").write_text("#!/bin/sh\necho hi\n")
    (d / "bin" / "run").chmod(0o750)
    (d / "données-é.txt").write_text("non-ASCII name\n")
    (d / "link.js").symlink_to(d / "index.js")
    return d


def test_a_folder(tmp_path, tree):
    result, z = probe(tmp_path, path=tree)
    unzip_ok(z)
    files = contents(z)
    assert sorted(files) == ["bin/run", "données-é.txt", "empty/", "index.js", "lib/deep/util.js",
                             "link.js"]
    assert files["bin/run"] == (b"#!/bin/sh\necho hi\n", 0o100755)
    assert files["index.js"][1] == 0o100644
    assert files["link.js"][0] == files["index.js"][0]  # links are followed
    assert files["empty/"][1] == 0o40755
    assert result["unzipped"] == sum(len(c) for c, _ in files.values())
    assert result["zipped"] == z.stat().st_size
    with zipfile.ZipFile(z) as zf:
        names = [i.filename for i in zf.infolist()]
        assert names == sorted(names)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert zf.getinfo("données-é.txt").flag_bits & 0x800  # the name is UTF-8


def test_same_files_same_bytes_whatever_the_mtime(tmp_path, tree):
    first, z1 = probe(tmp_path, path=tree)
    one = z1.read_bytes()
    for p in tree.rglob("*"):
        if not p.is_symlink():
            os.utime(p, (1_000_000_000, 1_000_000_000))
    second, z2 = probe(tmp_path, path=tree)
    assert z2.read_bytes() == one and second["sha256"] == first["sha256"]
    (tree / "lib" / "deep" / "util.js").write_text("module.exports = 2;\n")
    third, _ = probe(tmp_path, path=tree)
    assert third["sha256"] != first["sha256"]


def test_the_same_files_from_a_zip_a_tar_and_a_tgz(tmp_path, tree):
    (tree / "link.js").unlink()  # archives refuse links
    want, z = probe(tmp_path, path=tree)
    expected = z.read_bytes()
    zipped = tmp_path / "in.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for p in sorted(tree.rglob("*"), reverse=True):  # another order, other times
            info = zipfile.ZipInfo(str(p.relative_to(tree)) + ("/" if p.is_dir() else ""),
                                   (2020, 5, 5, 5, 5, 6))
            info.external_attr = (p.stat().st_mode & 0xFFFF) << 16
            zf.writestr(info, b"" if p.is_dir() else p.read_bytes())
    for path in (zipped, tmp_path / "in.tar", tmp_path / "in.tgz"):
        if path.suffix in (".tar", ".tgz"):
            with tarfile.open(path, "w:gz" if path.suffix == ".tgz" else "w") as tf:
                tf.add(tree, arcname=".")
        got, z2 = probe(tmp_path, path=path)
        assert z2.read_bytes() == expected, path.name
        assert got["sha256"] == want["sha256"]


def test_an_asset_archive(tmp_path):
    (tmp_path / "helper.py").write_text("X = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    value = {SIG: ARCHIVE, "assets": {
        "index.js": {SIG: ASSET, "text": "exports.handler = async () => 'ok';\n"},
        "helper.py": {SIG: ASSET, "path": "helper.py"},
        "vendor": {SIG: ARCHIVE, "path": "pkg"},
        "uri.txt": {SIG: ASSET, "uri": f"file://{tmp_path / 'helper.py'}"},
    }}
    _, z = probe(tmp_path, value=value)
    unzip_ok(z)
    files = contents(z)
    assert sorted(files) == ["helper.py", "index.js", "uri.txt", "vendor/__init__.py"]
    assert files["index.js"][0] == b"exports.handler = async () => 'ok';\n"


def test_more_than_65535_entries_take_zip64(tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(70_000):
        (d / f"f{i:05d}").write_bytes(b"")
    result, z = probe(tmp_path, path=d)
    raw = z.read_bytes()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw  # ZIP64 end record and locator
    unzip_ok(z)
    with zipfile.ZipFile(z) as zf:
        assert len(zf.infolist()) == 70_000


@pytest.mark.parametrize("case,needle", [
    ("loop", "loop"),
    ("remote", "remote"),
    ("escape", "not a relative path"),
    ("missing", "No such file"),
    ("asset", "not an asset or an archive"),
])
def test_refused(tmp_path, case, needle):
    if case == "loop":
        d = tmp_path / "d"
        (d / "a").mkdir(parents=True)
        (d / "a" / "up").symlink_to(d)
        result, _ = probe(tmp_path, path=d)
    elif case == "remote":
        result, _ = probe(tmp_path, value={SIG: ARCHIVE, "uri": "https://example.com/code.zip"})
    elif case == "escape":
        bad = tmp_path / "bad.tar"
        with tarfile.open(bad, "w") as tf:
            info = tarfile.TarInfo("../outside.js")
            info.size = 1
            tf.addfile(info, io.BytesIO(b"x"))
        result, _ = probe(tmp_path, path=bad)
    elif case == "missing":
        result, _ = probe(tmp_path, path=tmp_path / "nowhere")
    else:
        result, _ = probe(tmp_path, value={SIG: ARCHIVE, "assets": {"x": "just a string"}})
    assert "lambdaCode" in result["error"] and needle in result["error"], result


def test_lambdas_limits(tmp_path):
    d = tmp_path / "big"
    d.mkdir()
    # 60 MB that do not compress: over the 50 MB for direct upload
    with open(d / "random.bin", "wb") as f:
        for _ in range(60):
            f.write(os.urandom(1 << 20))
    result, _ = probe(tmp_path, path=d)
    assert "MB zipped" in result["error"] and "50 MB" in result["error"], result
    (d / "random.bin").unlink()
    # 251 MB that compress to nothing: over the 250 MB unzipped
    with open(d / "zeros.bin", "wb") as f:
        f.truncate(251 << 20)
    result, _ = probe(tmp_path, path=d)
    assert "unzipped" in result["error"] and "250 MB" in result["error"], result
