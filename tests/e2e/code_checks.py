"""What a stack's function runs, checked against the files it was made from, for the e2e tests of
the examples and of lambdaCode: moto keeps no downloadable copy of an uploaded package (its
Code.Location is a made-up S3 address outside loopback), so the package the plugin must have
sent is rebuilt from the same files by tests/unit/code_probe (stack/code.c, the plugin's own
packager), its members are read back with Python's zipfile and compared with the files, and its
SHA-256 is compared with the CodeSha256 moto computed from the bytes it received and with the
hashes in the stack's state (computed at Check, and answered by Lambda)."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

from harness.build import build_dir

SIG = "4dabf18193072939515e22adb298388d"
ASSET = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"


def text_archive(files: dict[str, str]) -> dict:
    """An AssetArchive of StringAssets as the engine hands it to the plugin."""
    return {SIG: ARCHIVE, "assets": {name: {SIG: ASSET, "text": text}
                                     for name, text in files.items()}}


def package(cwd: Path, out: Path, *, path: str | None = None, value: dict | None = None) -> Path:
    """The deployment package of a folder (relative to cwd, the program's folder) or an archive
    value, written to `out` by code_probe."""
    if value is not None:
        spec = out.with_suffix(".json")
        spec.write_text(json.dumps(value))
        args = ["--json", str(spec)]
    else:
        args = ["--path", path]
    r = subprocess.run([str(build_dir() / "tests" / "code_probe"), str(out), *args],
                       capture_output=True, text=True, cwd=cwd, timeout=120)
    assert r.returncode == 0, r
    return out


def members(zip_path: Path) -> dict[str, bytes]:
    """The package's files (directories left out), by name."""
    with zipfile.ZipFile(zip_path) as z:
        assert z.testzip() is None
        return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by its path relative to it with / separators."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256 of a package: the base64 of its SHA-256."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()


def deployed_sha256(aws, function_name: str) -> str:
    return aws.boto3_client("lambda").get_function(
        FunctionName=function_name)["Configuration"]["CodeSha256"]


def recorded_sha256(pulumi, proj: Path, env: dict | None = None) -> tuple[str, str]:
    """The code hashes in the stack's state: the one the plugin computed from the files at Check
    (the inputs' __codeSha256, which Diff compares) and the CodeSha256 Lambda answered when the
    code was deployed (the outputs' _codeSha256)."""
    state = json.loads(pulumi.run("stack", "export", cwd=proj, env=env).stdout)
    (res,) = [r for r in state["deployment"]["resources"]
              if r["type"] == "secureapi:index:SecureApiStack"]
    return res["inputs"]["__codeSha256"], res["outputs"]["_codeSha256"]


def assert_deployed(aws, pulumi, proj: Path, function_name: str, zip_path: Path,
                    files: dict[str, bytes], env: dict | None = None) -> str:
    """The function runs exactly `files`: the package rebuilt from them holds those files and
    no other, moto's CodeSha256 is its hash, and so is the hash in the state. Returns it."""
    assert members(zip_path) == files
    want = code_sha256(zip_path)
    assert deployed_sha256(aws, function_name) == want
    assert recorded_sha256(pulumi, proj, env) == (want, want)
    return want
