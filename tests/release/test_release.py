"""The release artifacts as a user gets them: the linux-amd64 and linux-arm64 tarballs, schema.json,
the SDK packages (their contents: tests/e2e/test_release_host.py) and SHA256SUMS of them all that
tools/release/release.sh makes (the README's release command). Checks that each
binary needs nothing but glibc (its NEEDED entries, no RPATH, the glibc version the README
states), that the amd64 binary answers GetPluginInfo and GetSchema inside a minimal Debian root
filesystem (debootstrap --variant=minbase, none of our libraries in it) under chroot, that the
arm64 binary does the same under qemu-user against an arm64 minbase root, and that
`pulumi plugin install ... --server ... --checksum` installs the amd64 tarball from a loopback
plugin server (a wrong checksum is refused) and deploys the YAML example with it."""
from __future__ import annotations

import hashlib
import os
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from harness.loopback import LoopbackServer
from harness.plugin import Plugin, struct
from harness.plugin_server import PluginServer
from harness.stack_checks import everything

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "release"
# arch: (toolchain triple, readelf's name of the machine, glibc's dynamic loader)
ARCHES = {"amd64": ("x86_64-linux-gnu", "Advanced Micro Devices X86-64", "ld-linux-x86-64.so.2"),
          "arm64": ("aarch64-linux-gnu", "AArch64", "ld-linux-aarch64.so.1")}
# glibc's own libraries; anything else NEEDED would have to be on the user's machine
GLIBC_LIBS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1"}
# the libraries we link statically: none may be in the minimal roots the binaries run in
OURS = re.compile(r"^lib(grpc|gpr|upb|re2|cares|absl|protobuf-c|curl|ssl|crypto|xml2|cjson)[._-]")


def tool(*args: str) -> str:
    return subprocess.run(["bash", str(TOOLS / args[0]), *args[1:]], check=True, text=True,
                          stdout=subprocess.PIPE, timeout=1800).stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def dist() -> Path:
    """The tarballs tests/check.sh made with the release command before the suites
    (SECUREAPI_RELEASE_DIST); run alone, the suite runs the command itself, once."""
    if os.environ.get("SECUREAPI_RELEASE_DIST"):
        return Path(os.environ["SECUREAPI_RELEASE_DIST"])
    return Path(tool("release.sh", str(REPO / "build-release" / "dist")))


@pytest.fixture(scope="session")
def unpacked(dist, tmp_path_factory, version) -> dict[str, Path]:
    out = {}
    for arch in ARCHES:
        tgz = dist / f"pulumi-resource-secureapi-v{version}-linux-{arch}.tar.gz"
        d = tmp_path_factory.mktemp(f"unpacked-{arch}")
        with tarfile.open(tgz) as t:
            t.extractall(d, filter="data")
        out[arch] = d / "pulumi-resource-secureapi"
    return out


def readelf(arch: str, *args: str) -> str:
    triple = ARCHES[arch][0]
    return subprocess.run([f"{triple}-readelf", *args], check=True, text=True,
                          capture_output=True).stdout


def glibc_floor(arch: str, binary: Path) -> tuple[int, int]:
    out = subprocess.run([f"{ARCHES[arch][0]}-objdump", "-T", str(binary)], check=True,
                         text=True, capture_output=True).stdout
    versions = {tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+\.\d+)\b", out)}
    return max(versions)


def test_tarballs_and_checksums(dist, version):
    sums = dict(reversed(line.split("  ")) for line in
                (dist / "SHA256SUMS").read_text().splitlines())
    tarballs = [f"pulumi-resource-secureapi-v{version}-linux-{a}.tar.gz" for a in sorted(ARCHES)]
    # every file of the release (what .github/workflows/release.yml uploads) is in SHA256SUMS
    assert sorted(sums) == sorted(tarballs + [
        "schema.json", f"pulumi-secureapi-{version}.tgz", f"pulumi_secureapi-{version}.tar.gz",
        f"pulumi_secureapi-{version}-py3-none-any.whl"])
    assert sorted(p.name for p in dist.iterdir()) == sorted([*sums, "SHA256SUMS"])
    assert (dist / "schema.json").read_bytes() == (REPO / "provider" / "schema.json").read_bytes()
    for name, digest in sums.items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name
    for name in tarballs:
        with tarfile.open(dist / name) as t:
            members = {m.name: m for m in t.getmembers()}
        assert sorted(members) == ["LICENSE", "README.md", "pulumi-resource-secureapi"]
        assert members["pulumi-resource-secureapi"].mode == 0o755


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_binary_needs_only_glibc(unpacked, arch):
    binary = unpacked[arch]
    header = readelf(arch, "-h", str(binary))
    assert re.search(rf"Machine:\s+{ARCHES[arch][1]}\n", header), header
    # non-PIE (meson.build's static_release): nothing to relocate at start
    assert re.search(r"Type:\s+EXEC ", header), header
    dynamic = readelf(arch, "-d", str(binary))
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic))
    assert needed - {ARCHES[arch][2]} <= GLIBC_LIBS, f"needs more than glibc: {sorted(needed)}"
    assert "RPATH" not in dynamic and "RUNPATH" not in dynamic
    sections = readelf(arch, "-S", str(binary))
    assert ".symtab" not in sections and ".debug_info" not in sections, "not stripped"


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_readme_states_the_oldest_glibc(unpacked, arch):
    floor = glibc_floor(arch, unpacked[arch])
    stated = {(int(a), int(b)) for a, b in
              re.findall(r"glibc (\d+)\.(\d+) or later", (REPO / "README.md").read_text())}
    assert stated, "README.md does not state the oldest glibc the release binaries need"
    assert stated == {floor}, f"README says glibc {sorted(stated)}, the {arch} binary needs {floor}"


def minbase_root(arch: str) -> Path:
    root = Path(tool("make-minbase-root.sh", arch))
    # what a test killed half-way may have left in the shared root
    shutil.rmtree(root / "opt/secureapi-test", ignore_errors=True)
    shutil.rmtree(root / "etc/pki", ignore_errors=True)
    found = [p.name for d in ("usr/lib", f"usr/lib/{ARCHES[arch][0]}")
             for p in (root / d).iterdir() if OURS.match(p.name)]
    assert found == [], f"the minimal root is not minimal: {found}"
    assert (root / f"usr/lib/{ARCHES[arch][0]}/libc.so.6").exists()
    return root


def answers_info_and_schema(plugin: Plugin, version: str) -> None:
    info = plugin.stub.GetPluginInfo(empty_pb2.Empty(), timeout=60)
    assert info.version == version
    schema = json.loads(plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=60).schema)
    assert schema["name"] == "secureapi" and schema["version"] == version
    assert "secureapi:index:SecureApiStack" in schema["resources"]


def test_amd64_runs_in_a_minimal_debian_root(unpacked, version, tmp_path):
    root = minbase_root("amd64")
    inside = Path("/opt/secureapi-test") / tmp_path.name
    (root / inside.relative_to("/")).mkdir(parents=True)
    try:
        shutil.copy2(unpacked["amd64"], root / inside.relative_to("/"))
        binary = inside / "pulumi-resource-secureapi"
        ldd = subprocess.run(["chroot", str(root), "/usr/bin/ldd", str(binary)], text=True,
                             capture_output=True, timeout=60)
        assert ldd.returncode == 0 and "not found" not in ldd.stdout, ldd.stdout + ldd.stderr
        plugin = Plugin(binary, wrapper=["chroot", str(root)], stderr_path=tmp_path / "err")
        try:
            answers_info_and_schema(plugin, version)
        finally:
            plugin.close()
    finally:
        shutil.rmtree(root / inside.relative_to("/"))


def test_arm64_runs_under_qemu_user(unpacked, version, tmp_path):
    root = minbase_root("arm64")
    plugin = Plugin(unpacked["arm64"], wrapper=["qemu-aarch64", "-L", str(root)],
                    stderr_path=tmp_path / "err")
    try:
        answers_info_and_schema(plugin, version)
    finally:
        plugin.close()


@pytest.fixture
def release_server(dist, tmp_path):
    d = tmp_path / "server"
    d.mkdir()
    for f in dist.iterdir():
        shutil.copy(f, d)
    s = PluginServer(d)
    yield s
    s.stop()


def sha256_of(dist: Path, version: str, arch: str) -> str:
    for line in (dist / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        if name == f"pulumi-resource-secureapi-v{version}-linux-{arch}.tar.gz":
            return digest
    raise AssertionError(f"no {arch} line in SHA256SUMS")


def test_install_with_checksum_and_deploy(pulumi, aws, dist, release_server, version, tmp_path):
    env = {"PULUMI_IGNORE_AMBIENT_PLUGINS": "true"}  # the installed plugin, nothing from PATH
    good = sha256_of(dist, version, "amd64")
    bad = pulumi.run("plugin", "install", "resource", "secureapi", version, "--server",
                     release_server.url, "--checksum", "0" * 64, cwd=tmp_path, check=False)
    assert bad.returncode != 0 and "checksum" in (bad.stdout + bad.stderr).lower()
    assert json.loads(pulumi.run("plugin", "ls", "--json", cwd=tmp_path).stdout) in ([], None)
    pulumi.run("plugin", "install", "resource", "secureapi", version, "--server",
               release_server.url, "--checksum", good, cwd=tmp_path)
    installed = json.loads(pulumi.run("plugin", "ls", "--json", cwd=tmp_path).stdout)
    assert [(p["name"], p["version"]) for p in installed] == [("secureapi", version)]
    plugin_dir = pulumi.home / "plugins" / f"resource-secureapi-v{version}"
    assert (plugin_dir / "pulumi-resource-secureapi").read_bytes() == subprocess.run(
        ["tar", "-xzOf", str(dist / f"pulumi-resource-secureapi-v{version}-linux-amd64.tar.gz"),
         "pulumi-resource-secureapi"], check=True, capture_output=True).stdout
    proj = tmp_path / "yaml"
    shutil.copytree(REPO / "examples" / "yaml", proj, ignore=shutil.ignore_patterns("step2"))
    pulumi.run("stack", "init", "rel", cwd=proj, env=env)
    pulumi.run("config", "set", "environmentSuffix", "rel", cwd=proj, env=env)
    pulumi.run("up", "--yes", "--skip-preview", cwd=proj, env=env)
    out = json.loads(pulumi.run("stack", "output", "--json", cwd=proj, env=env).stdout)
    assert out["apiUrl"].startswith("https://") and out["logGroupName"].startswith("/aws/lambda/")
    assert aws.boto3_client("lambda").get_function(FunctionName=out["functionName"])
    assert aws.boto3_client("kms").describe_key(KeyId=out["kmsKeyId"])["KeyMetadata"]["Enabled"]
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj, env=env)
    left = everything(aws)
    assert left == {k: [] for k in left}


THROWER = r"""
#include <cstdio>
#include <random>
#include <stdexcept>
int main() {
    std::random_device rd("arc4random");  // the default token uses rdrand on x86-64
    unsigned a = rd(), b = rd(), c = rd();
    int caught = 0;
    for (int i = 0; i < 100; i++) {
        try { throw std::runtime_error("unwind me"); }
        catch (const std::exception &) { caught++; }
    }
    std::printf("%d %d\n", caught, !(a == b && b == c));
    return 0;
}
"""


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_glibc_compat_fallbacks_unwind_and_randomise(arch, tmp_path):
    """provider/plugin/glibc_compat.c with its _dl_find_object forced onto the dl_iterate_phdr path (a
    glibc version that does not exist), linked like the release binary: C++ exceptions are
    thrown and caught (a wrong exception-table lookup ends in std::terminate) and
    std::random_device works, without importing either function from glibc."""
    triple = ARCHES[arch][0]
    (tmp_path / "t.cpp").write_text(THROWER)
    subprocess.run([f"{triple}-gcc", "-O2", "-fno-pie", "-c", "-D_GNU_SOURCE",
                    '-DSA_DL_FIND_OBJECT_VERSION="GLIBC_9.99"',
                    str(REPO / "provider" / "plugin" / "glibc_compat.c"), "-o", str(tmp_path / "c.o")],
                   check=True)
    exe = tmp_path / "t"
    subprocess.run([f"{triple}-g++", "-O2", str(tmp_path / "t.cpp"), str(tmp_path / "c.o"),
                    "-static-libstdc++", "-static-libgcc", "-no-pie", "-o", str(exe)], check=True)
    imports = subprocess.run([f"{triple}-objdump", "-T", str(exe)], check=True, text=True,
                             capture_output=True).stdout
    assert "arc4random" not in imports and "_dl_find_object" not in imports, imports
    wrapper = [] if arch == "amd64" else ["qemu-aarch64", "-L", str(minbase_root(arch))]
    run = subprocess.run([*wrapper, str(exe)], text=True, capture_output=True, timeout=60)
    assert run.returncode == 0 and run.stdout == "100 1\n", run.stdout + run.stderr


STS_IDENTITY = b"""<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/release-test</Arn>
<UserId>AIDARELEASETEST</UserId><Account>123456789012</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>release-test</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"""


@pytest.fixture
def https_sts(tmp_path):
    """An HTTPS endpoint on 127.0.0.1 that answers STS GetCallerIdentity, with a certificate
    from a throwaway CA (returned as PEM bytes) for the IP address 127.0.0.1."""
    from http.server import BaseHTTPRequestHandler

    d = tmp_path / "tls"
    d.mkdir()

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=secureapi release test CA", "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
            "srv.key", "-out", "srv.csr")
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext", "-out", "srv.pem")
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            calls.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(STS_IDENTITY)))
            self.end_headers()
            self.wfile.write(STS_IDENTITY)

        def log_message(self, *args):
            pass

    server = LoopbackServer(Handler, str(d / "srv.pem"), str(d / "srv.key"))
    yield server.url, (d / "ca.pem").read_bytes(), calls
    server.stop()


def test_amd64_finds_the_systems_ca_certificates(unpacked, https_sts, tmp_path):
    """The static libcurl has no CA path of its own: the plugin must find the system's bundle.
    In the minimal root (no ca-certificates package) an HTTPS call first fails saying no CA
    certificates were found; with a bundle at Fedora/RHEL's path it succeeds; SSL_CERT_FILE wins
    over that path, and AWS_CA_BUNDLE over SSL_CERT_FILE."""
    import grpc

    url, ca_pem, calls = https_sts
    root = minbase_root("amd64")
    bundle = root / "etc/pki/tls/certs/ca-bundle.crt"
    assert not bundle.exists() and not (root / "etc/ssl/certs/ca-certificates.crt").exists()
    inside = Path("/opt/secureapi-test") / tmp_path.name
    (root / inside.relative_to("/")).mkdir(parents=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SSL_CERT_", "CURL_CA_"))}
    env.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIARELEASETEST",
                "AWS_SECRET_ACCESS_KEY": "release-test-secret", "AWS_REGION": "eu-west-1",
                "AWS_MAX_ATTEMPTS": "1"})
    args = struct({"region": "eu-west-1"})

    def configure():
        p = Plugin(inside / "pulumi-resource-secureapi", wrapper=["chroot", str(root)], env=env,
                   stderr_path=tmp_path / f"err{len(calls)}")
        try:
            return p.stub.Configure(provider_pb2.ConfigureRequest(args=args, acceptSecrets=True),
                                    timeout=60)
        finally:
            p.close()

    try:
        shutil.copy2(unpacked["amd64"], root / inside.relative_to("/"))
        with pytest.raises(grpc.RpcError) as e:
            configure()
        assert "no CA certificates were found" in e.value.details(), e.value.details()
        assert calls == []
        bundle.parent.mkdir(parents=True)
        bundle.write_bytes(ca_pem)
        configure()
        assert len(calls) == 1 and b"GetCallerIdentity" in calls[0]
        # OpenSSL's variable names a bundle anywhere, and it wins over the well-known places
        # (which now hold an unrelated CA); AWS_CA_BUNDLE wins over both
        other = tmp_path / "tls" / "other"
        other.mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=unrelated CA", "-keyout", str(other / "k"), "-out",
                        str(other / "ca.pem")], check=True, capture_output=True)
        bundle.write_bytes((other / "ca.pem").read_bytes())
        (root / inside.relative_to("/") / "ca.pem").write_bytes(ca_pem)
        (root / inside.relative_to("/") / "other.pem").write_bytes((other / "ca.pem").read_bytes())
        env["SSL_CERT_FILE"] = str(inside / "ca.pem")
        configure()
        assert len(calls) == 2
        env["AWS_CA_BUNDLE"] = str(inside / "other.pem")
        with pytest.raises(grpc.RpcError) as e:
            configure()
        assert "certificate" in e.value.details().lower(), e.value.details()
        assert "no CA certificates were found" not in e.value.details()
        assert len(calls) == 2
    finally:
        shutil.rmtree(root / inside.relative_to("/"))
        shutil.rmtree(root / "etc/pki", ignore_errors=True)
