#!/usr/bin/env python3
"""Build helper: packs the plugin binary (at the archive root), README.md and LICENSE into
pulumi-resource-secureapi-v<version>-<os>-<arch>.tar.gz, the layout `pulumi plugin install` and
plugin servers expect (the binary keeps its name's .exe on Windows, where the engine looks for
pulumi-resource-secureapi.exe), and writes <tarball>.sha256 (sha256sum format). Deterministic: fixed
owner, mode and timestamp, so the same inputs give the same bytes."""
import gzip
import hashlib
import io
import os
import sys
import tarfile


def add(tar: tarfile.TarFile, path: str, name: str, mode: int) -> None:
    data = open(path, "rb").read()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def main() -> int:
    binary, readme, license_file, out_tgz, out_sha = sys.argv[1:6]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        exe = ".exe" if binary.endswith(".exe") else ""
        add(tar, binary, "pulumi-resource-secureapi" + exe, 0o755)
        add(tar, readme, "README.md", 0o644)
        add(tar, license_file, "LICENSE", 0o644)
    with open(out_tgz, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
            gz.write(raw.getvalue())
    digest = hashlib.sha256(open(out_tgz, "rb").read()).hexdigest()
    with open(out_sha, "w") as f:
        f.write(f"{digest}  {os.path.basename(out_tgz)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
