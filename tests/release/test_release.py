"""The release folder as a user gets it: the six targets' tarballs (their binaries: test_linux.py,
test_windows.py, test_darwin.py), schema.json, the SDK packages (their contents:
tests/e2e/test_release_host.py) and SHA256SUMS of them all that tools/release/release.sh makes
(the README's release command). Checks the folder and the tarballs' layout, that `pulumi plugin
install --file` installs each tarball where the engine of its OS looks for the binary, that
`pulumi plugin install ... --server ... --checksum` installs the linux-amd64 tarball from a
loopback plugin server (a wrong checksum is refused) and deploys the YAML example with it, and
that the static binary finds the system's CA certificates."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from pulumi.runtime.proto import provider_pb2

from harness.loopback import LoopbackServer
from harness.plugin import Plugin, struct
from harness.plugin_server import PluginServer
from harness.stack_checks import everything
from release.common import REPO, TARGETS, binary_name, minbase_root, tarball


def test_tarballs_and_checksums(dist, skipped, version):
    assert "linux-amd64" not in skipped and skipped <= set(TARGETS), skipped
    sums = dict(reversed(line.split("  ")) for line in
                (dist / "SHA256SUMS").read_text().splitlines())
    built = [t for t in TARGETS if t not in skipped]
    tarballs = [tarball(dist, version, t).name for t in built]
    # every file of the release (what .github/workflows/release.yml uploads) is in SHA256SUMS
    assert sorted(sums) == sorted(tarballs + [
        "schema.json", f"pulumi-secureapi-{version}.tgz", f"pulumi_secureapi-{version}.tar.gz",
        f"pulumi_secureapi-{version}-py3-none-any.whl"])
    extra = ["SKIPPED"] if skipped else []
    assert sorted(p.name for p in dist.iterdir()) == sorted([*sums, "SHA256SUMS", *extra])
    assert (dist / "schema.json").read_bytes() == (REPO / "provider" / "schema.json").read_bytes()
    for name, digest in sums.items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name
    for target in built:
        with tarfile.open(tarball(dist, version, target)) as t:
            members = {m.name: m for m in t.getmembers()}
        assert sorted(members) == sorted(["LICENSE", "README.md", binary_name(target)])
        assert members[binary_name(target)].mode == 0o755


@pytest.mark.parametrize("target", TARGETS)
def test_plugin_install_from_file(pulumi, dist, unpacked, version, target, tmp_path):
    """`pulumi plugin install --file` of the target's tarball puts the binary where the engine
    of that OS looks for it: plugins/resource-secureapi-v<version>/pulumi-resource-secureapi,
    with .exe on Windows (the engine there looks only for .exe or .cmd)."""
    binary = unpacked(target)  # skips a target the release command left out
    pulumi.run("plugin", "install", "resource", "secureapi", version, "--file",
               str(tarball(dist, version, target)), cwd=tmp_path)
    plugin_dir = pulumi.home / "plugins" / f"resource-secureapi-v{version}"
    assert sorted(p.name for p in plugin_dir.iterdir()
                  if not p.name.startswith(".")) == sorted([binary_name(target), "LICENSE",
                                                            "README.md"])
    installed = plugin_dir / binary_name(target)
    assert installed.read_bytes() == binary.read_bytes()
    assert os.access(installed, os.X_OK)


@pytest.fixture
def release_server(dist, tmp_path):
    d = tmp_path / "server"
    d.mkdir()
    for f in dist.iterdir():
        shutil.copy(f, d)
    s = PluginServer(d)
    yield s
    s.stop()


def sha256_of(dist: Path, version: str, target: str) -> str:
    for line in (dist / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        if name == tarball(dist, version, target).name:
            return digest
    raise AssertionError(f"no {target} line in SHA256SUMS")


def test_install_with_checksum_and_deploy(pulumi, aws, dist, release_server, version, tmp_path):
    env = {"PULUMI_IGNORE_AMBIENT_PLUGINS": "true"}  # the installed plugin, nothing from PATH
    good = sha256_of(dist, version, "linux-amd64")
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
        ["tar", "-xzOf", str(tarball(dist, version, "linux-amd64")), "pulumi-resource-secureapi"],
        check=True, capture_output=True).stdout
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
        shutil.copy2(unpacked("linux-amd64"), root / inside.relative_to("/"))
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
