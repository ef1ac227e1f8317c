"""Shared pytest fixtures for every Python suite (proto, rpc, e2e, harness).

- `moto`: an embedded AWS (moto server) on a free 127.0.0.1 port for the whole session, with
  AWS-managed IAM policies loaded and Lambda running without Docker; always stopped at the end,
  also when tests fail. `aws` resets it before each test that uses it.
- AWS requests follow the models: every moto (this fixture's and any a test starts itself) is
  reached through a proxy that checks each request against the botocore models
  (harness/aws_validator.py); a test during which any request broke them fails, naming each
  violation. Each session writes its totals to $SECUREAPI_LOG_DIR/aws-validation-*.json.
- `plugin_bin`: the built pulumi-resource-secureapi binary; `engine`: a recording fake Engine;
  `configured_plugin(aws_env, config)`: the plugin started and configured as the engine does it
  for a stack, pointed wherever `aws_env` says (moto, a fault proxy, a counting server).
- `pulumi`: runs the real Pulumi CLI with an isolated PULUMI_HOME and a file:// backend under the
  test's tmp_path, pointed at moto, offline and non-interactive.
- Loopback guard: test-side code may only open sockets to 127.0.0.0/8; the plugin and the CLI get
  every AWS endpoint pointed at moto and the EC2 metadata service disabled.
"""
from __future__ import annotations

import ipaddress
import os
import re
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
sys.path.insert(0, str(TESTS))

from harness.aws_validator import RECORDER  # noqa: E402
from harness.build import build_dir  # noqa: E402
from harness.cli import Pulumi, pulumi_bin_dir  # noqa: E402
from harness.moto import MotoServer  # noqa: E402


def project_version() -> str:
    m = re.search(r"version:\s*'([^']+)'", (REPO / "meson.build").read_text())
    assert m, "meson.build has no project version"
    return m.group(1)


# ---- loopback guard for test-side sockets --------------------------------------------------------
_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _check_address(address) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host and not host.startswith("/"):
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                raise ConnectionRefusedError(f"test guard: {host} is not a loopback address")
            return
        if not ip.is_loopback:
            raise ConnectionRefusedError(f"test guard: {host} is not a loopback address")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect(self, address)


def _guarded_create_connection(address, *args, **kwargs):
    _check_address(address)
    return _real_create_connection(address, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.create_connection = _guarded_create_connection


# ---- build outputs ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def plugin_bin() -> Path:
    p = build_dir() / "provider" / "pulumi-resource-secureapi"
    if not p.exists():
        pytest.fail(f"plugin not built: {p} (run tests/check.sh, or meson compile -C build)")
    return p


@pytest.fixture(scope="session")
def version() -> str:
    return project_version()


# ---- the engine's side ------------------------------------------------------------------------
@pytest.fixture
def engine():
    """A recording fake pulumirpc.Engine (harness/plugin.py) for a plugin to log to."""
    from harness.plugin import RecordingEngine
    e = RecordingEngine()
    yield e
    e.stop()


@pytest.fixture
def counting():
    """A loopback server that refuses every request and records it (harness/loopback.py): as
    the plugin's AWS endpoint, `counting.requests == []` proves that no AWS call was made."""
    from harness.loopback import RefusingServer
    c = RefusingServer()
    yield c
    c.stop()


@pytest.fixture
def configured_plugin(plugin_bin, engine, tmp_path):
    """Starts configured plugins (harness/plugin.py start_configured) logging to `engine`:
    configured_plugin(aws_env, config=None, binary=None) -> Plugin; all are closed (and checked
    under valgrind or the sanitizers) when the test ends."""
    from harness.plugin import start_configured
    started = []

    def start(aws_env: dict, config: dict | None = None, binary: Path | None = None):
        name = "plugin.stderr" if not started else f"plugin-{len(started) + 1}.stderr"
        p = start_configured(binary or plugin_bin, engine, tmp_path / name, aws_env, config)
        started.append(p)
        return p

    yield start
    for p in started:
        p.close()


# ---- moto ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def moto():
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws(moto):
    moto.reset()
    return moto


@pytest.fixture(autouse=True)
def aws_requests_follow_the_models(request):
    """Fails the test if a request made during it (by the plugin, the CLI, boto3, ...) broke the
    botocore model of its operation. It is torn down after the test's other function-scoped
    fixtures, so requests of their teardown (a destroy, say) count too; those of wider-scoped
    fixtures (a module's network, say) count for the next test to end."""
    yield
    new = RECORDER.unreported(request.node.nodeid)
    if new:
        lines = [f"{e.violation} [{e.request}]" for e in new]
        pytest.fail(f"{len(new)} AWS request violation(s) of the botocore models (real AWS "
                    f"refuses these; moto does not):\n" + "\n".join(lines), pytrace=False)


def pytest_sessionfinish(session):
    log_dir = os.environ.get("SECUREAPI_LOG_DIR")
    if log_dir:
        RECORDER.write_totals(Path(log_dir), "pytest")


# ---- the real Pulumi CLI (harness/cli.py) ---------------------------------------------------
@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    return pulumi_bin_dir()


@pytest.fixture
def pulumi(pulumi_bin, tmp_path, request):
    moto_server = request.getfixturevalue("aws") if "aws" in request.fixturenames else None
    return Pulumi(pulumi_bin, tmp_path, moto_server)
