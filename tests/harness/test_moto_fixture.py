"""The moto fixture itself: it serves all six services on one loopback port (its validating
proxy's), and it stops the server and the proxy when the session ends, also when a test fails
(checked by running a child pytest session with a failing test and looking for the server
afterwards)."""
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_moto_serves_the_six_services(aws):
    assert aws.url.startswith("http://127.0.0.1:") and aws.url != aws.direct_url
    checked = aws.proxy.recorder.requests
    assert aws.boto3_client("sts").get_caller_identity()["Account"] == "123456789012"
    assert aws.boto3_client("kms").list_keys()["Keys"] == []
    assert aws.boto3_client("iam").list_roles()["Roles"] == []
    assert aws.boto3_client("lambda").list_functions()["Functions"] == []
    assert aws.boto3_client("logs").describe_log_groups()["logGroups"] == []
    assert aws.boto3_client("apigateway").get_rest_apis()["items"] == []
    # managed policies are loaded, so executionPolicy=managed can attach them
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert aws.boto3_client("iam").get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn
    # every call went through the validating proxy
    assert aws.proxy.recorder.requests - checked == (0 if aws.proxy.mode == "off" else 7)


@pytest.mark.parametrize("outcome", ["passes", "fails"])
def test_fixture_stops_moto_after_the_session(tmp_path, outcome):
    record = tmp_path / "record"
    (tmp_path / "test_child.py").write_text(textwrap.dedent(f"""\
        import os
        def test_child(moto):
            with open({str(record)!r}, "w") as f:
                f.write(f"{{moto.proc.pid}} {{moto.port}} {{moto.moto_port}}")
            assert {outcome == "passes"!r}, "deliberate failure"
        """))
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest",
                        "-p", "no:cacheprovider", str(tmp_path / "test_child.py")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == (0 if outcome == "passes" else 1), r.stdout + r.stderr
    pid, proxy_port, moto_port = map(int, record.read_text().split())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not port_open(proxy_port) and not port_open(moto_port)
