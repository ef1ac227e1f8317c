"""The C AWS client against FaultServer, a scripted loopback server: throttling and 5xx answers
retried to success, terminal errors returned at once with their AWS code and message, an HTML 500
(an emulator's unimplemented action) not retried, cancellation ending a retry wait, deadlines,
caller retry rules, timeouts, the response size cap, TLS verification with AWS_CA_BUNDLE, and
connection reuse (TCP connections and peak RSS for 50 sequential calls are printed).
"""
from __future__ import annotations

import json
import socket
import subprocess

import pytest

from faultserver import FaultServer, Reply

THROTTLE = Reply(400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}),
                 {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "t-1"})
TOO_MANY = Reply(429, json.dumps({"message": "Too Many Requests"}),
                 {"Content-Type": "application/json",
                  "x-amzn-ErrorType": "TooManyRequestsException", "x-amzn-RequestId": "t-2"})
UNAVAILABLE = Reply(503, "", {"x-amzn-RequestId": "t-3"})
OK_KEYS = Reply(200, json.dumps({"Keys": [{"KeyId": "k1"}]}),
                {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "ok-1"})
HTML_500 = Reply(500, "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
                      "<h1>Internal Server Error</h1>\n<p>The server encountered an internal "
                      "error.</p>\n", {"Content-Type": "text/html; charset=utf-8"})

KMS_LIST = ["--service", "kms", "--op", "ListKeys"]


def fake_env(server):
    return {"AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": "AKIAFAULTTEST0000000",
            "AWS_SECRET_ACCESS_KEY": "fault-test-secret"}


def test_throttling_and_503_retried_to_success(fault_server, probe):
    fault_server.script = [THROTTLE, TOO_MANY, UNAVAILABLE, OK_KEYS]
    r = probe(*KMS_LIST, "--max-attempts", "4", "--seed", "7", env=fake_env(fault_server))
    assert r.rc == 0 and r.out["ok"], r.out
    assert r.out["attempts"] == 4
    assert r.out["json"] == {"Keys": [{"KeyId": "k1"}]}
    assert r.out["request_id"] == "ok-1"
    assert len(fault_server.requests) == 4
    for req in fault_server.requests:
        assert req["method"] == "POST"
        assert req["headers"]["x-amz-target"] == "TrentService.ListKeys"
        assert req["headers"]["authorization"].startswith(
            "AWS4-HMAC-SHA256 Credential=AKIAFAULTTEST0000000/")
        assert "x-amz-content-sha256" in req["headers"]["authorization"]
        assert req["headers"]["user-agent"].startswith("pulumi-resource-secureapi/")
    # each attempt is signed afresh (same second is fine, but never two Authorization headers)
    print(f"\nthrottle/429/503 -> 200 in {r.out['elapsed_ms']} ms over {r.out['attempts']} attempts")


def test_default_attempts_is_three(fault_server, probe):
    fault_server.default = UNAVAILABLE
    r = probe(*KMS_LIST, env=fake_env(fault_server))
    assert not r.out["ok"]
    assert r.out["attempts"] == 3 and len(fault_server.requests) == 3
    assert r.out["http_status"] == 503
    assert "gave up: max attempts reached" in r.out["error"]


def test_terminal_4xx_returned_at_once(fault_server, probe):
    fault_server.default = Reply(
        400, json.dumps({"__type": "com.amazonaws.kms#ValidationException",
                         "message": "1 validation error detected: Value at 'keySpec' failed"}),
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "val-1"})
    r = probe(*KMS_LIST, env=fake_env(fault_server))
    assert r.rc == 1 and not r.out["ok"]
    assert len(fault_server.requests) == 1
    assert r.out["attempts"] == 1
    assert r.out["sa_status"] == "EAWS"
    assert r.out["code"] == "ValidationException"
    assert r.out["message"] == "1 validation error detected: Value at 'keySpec' failed"
    assert r.out["http_status"] == 400
    assert r.out["request_id"] == "val-1"
    assert r.out["error"] == ("KMS ListKeys: ValidationException: 1 validation error detected: "
                              "Value at 'keySpec' failed (HTTP 400, request id val-1)")


def test_xml_auth_error_from_rest_service(fault_server, probe):
    fault_server.default = Reply(
        403, "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>nope</Message>"
             "</Error></Errors><RequestId>x-9</RequestId></ErrorResponse>",
        {"Content-Type": "text/xml"})
    r = probe("--service", "lambda", "--op", "ListFunctions", "--method", "GET",
              "--path", "/2015-03-31/functions/", env=fake_env(fault_server))
    assert (r.out["code"], r.out["message"], r.out["request_id"]) == ("AccessDenied", "nope", "x-9")
    assert fault_server.requests[0]["method"] == "GET"
    assert fault_server.requests[0]["path"] == "/2015-03-31/functions/"
    assert fault_server.requests[0]["body"] == b""


def test_html_500_not_retried(fault_server, probe):
    fault_server.default = HTML_500
    r = probe("--service", "logs", "--op", "AssociateKmsKey",
              "--body", '{"logGroupName": "g", "kmsKeyId": "k"}', "--max-attempts", "10",
              env=fake_env(fault_server))
    assert not r.out["ok"]
    assert r.out["html"] is True
    assert r.out["http_status"] == 500
    assert len(fault_server.requests) == 1, "an HTML 500 page must not be retried"
    assert "500 Internal Server Error" in r.out["message"]


def test_cancel_ends_retry_wait_quickly(fault_server, probe):
    fault_server.default = UNAVAILABLE
    r = probe(*KMS_LIST, "--max-attempts", "50", "--base-delay-ms", "4000",
              "--max-backoff-ms", "20000", "--seed", "3", "--cancel-after-ms", "700",
              env=fake_env(fault_server))
    assert not r.out["ok"]
    assert r.out["sa_status"] == "ECANCELLED", r.out
    latency = r.out["cancel_latency_ms"]
    print(f"\ncancel latency: {latency} ms (after {r.out['attempts']} attempts, "
          f"{r.out['elapsed_ms']} ms in total)")
    assert latency < 1000
    assert latency < 200, "a raised cancel flag should end the wait within ~100 ms"
    assert r.out["elapsed_ms"] < 700 + 1000


def test_deadline_bounds_retries(fault_server, probe):
    fault_server.default = UNAVAILABLE
    r = probe(*KMS_LIST, "--max-attempts", "50", "--base-delay-ms", "300",
              "--deadline-ms", "1500", "--seed", "5", env=fake_env(fault_server))
    assert not r.out["ok"]
    assert r.out["elapsed_ms"] <= 1600
    assert 1 < r.out["attempts"] < 50
    assert "deadline" in r.out["error"]


def test_caller_rule_outlasts_max_attempts(fault_server, probe):
    propagation = Reply(400, json.dumps({
        "__type": "InvalidParameterValueException",
        "message": "The role defined for the function cannot be assumed by Lambda."}))
    fault_server.script = [propagation] * 4 + [Reply(201, json.dumps({"FunctionName": "f"}))]
    args = ["--service", "lambda", "--op", "CreateFunction", "--method", "POST",
            "--path", "/2015-03-31/functions", "--body", "{}", "--base-delay-ms", "20"]
    r = probe(*args, "--rule",
              "InvalidParameterValueException:cannot be assumed by Lambda:30000",
              env=fake_env(fault_server))
    assert r.out["ok"], r.out
    assert r.out["attempts"] == 5
    # without the rule the same error is terminal
    fault_server.script = [propagation]
    r = probe(*args, env=fake_env(fault_server))
    assert r.out["code"] == "InvalidParameterValueException" and r.out["attempts"] == 1


def test_quota_limit_not_retried(fault_server, probe):
    fault_server.default = Reply(429, json.dumps({
        "__type": "LimitExceededException",
        "message": "Maximum number of Resources for this API has been reached"}))
    r = probe("--service", "apigateway", "--op", "CreateResource", "--method", "POST",
              "--path", "/restapis/{}/resources/{}", "--label", "a1", "--label", "r1",
              "--body", '{"pathPart": "x"}', env=fake_env(fault_server))
    assert r.out["code"] == "LimitExceededException"
    assert len(fault_server.requests) == 1
    assert fault_server.requests[0]["path"] == "/restapis/a1/resources/r1"


def test_timeout_is_retried_then_reported(fault_server, probe):
    fault_server.default = Reply(200, "{}", delay=2.0)
    r = probe(*KMS_LIST, "--timeout-ms", "300", "--max-attempts", "2", "--base-delay-ms", "10",
              env=fake_env(fault_server))
    assert r.out["sa_status"] == "ETIMEOUT", r.out
    assert r.out["attempts"] == 2
    assert r.out["elapsed_ms"] < 1500
    # the operation and the limit, in the words a user reads
    assert "KMS ListKeys: timed out after 0.3 s without a complete answer (after 2 attempts" \
        in r.out["error"], r.out


def test_answer_cut_short_is_retried(fault_server, probe):
    # the connection closes in the headers of one answer and in the body of the next: both are
    # lost answers (libcurl alone takes the first for a complete 200 with no body)
    body = '{"Keys": [{"KeyId": "k1", "KeyArn": "arn:aws:kms:ap-southeast-1:1:key/k1"}]}'
    fault_server.script = [Reply(200, body, cut=30), Reply(200, body, cut=-10), Reply(200, body)]
    r = probe(*KMS_LIST, "--base-delay-ms", "10", env=fake_env(fault_server))
    assert r.rc == 0 and r.out["ok"], r.out
    assert r.out["attempts"] == 3 and len(fault_server.requests) == 3
    assert r.out["json"]["Keys"][0]["KeyId"] == "k1"
    fault_server.script = [Reply(200, body, cut=30)] * 3
    r = probe(*KMS_LIST, "--base-delay-ms", "10", env=fake_env(fault_server))
    assert r.out["sa_status"] == "EIO", r.out
    assert "KMS ListKeys: the connection closed before the answer's headers ended (after 3 " \
        "attempts" in r.out["error"], r.out


def test_response_size_cap(fault_server, probe):
    fault_server.default = Reply(200, b"{" + b" " * (17 * 1024 * 1024) + b"}")
    r = probe(*KMS_LIST, env=fake_env(fault_server))
    assert r.out["sa_status"] == "EINVAL"
    assert "larger than 16777216 bytes" in r.out["error"]
    assert len(fault_server.requests) == 1


def test_connection_error_is_retried(probe):
    # a port with nothing listening: connection refused, retried, then reported
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = probe(*KMS_LIST, "--base-delay-ms", "10",
              env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                   "AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": "s"})
    assert r.out["sa_status"] == "EIO"
    assert r.out["attempts"] == 3
    assert "after 3 attempts" in r.out["error"]


def test_bad_endpoint_setting_is_named(probe):
    r = probe(*KMS_LIST, env={"AWS_ENDPOINT_URL_KMS": "ftp://127.0.0.1:1",
                              "AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": "s"})
    assert r.out["sa_status"] == "EINVAL"
    assert "AWS_ENDPOINT_URL_KMS" in r.out["error"]
    assert "http or https" in r.out["error"]


def test_no_credentials_names_what_was_tried(probe):
    r = probe(*KMS_LIST, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert r.out["sa_status"] == "ENOTFOUND"
    for part in ("provider config", "AWS_ACCESS_KEY_ID", ".aws/credentials",
                 "AWS_CONTAINER_CREDENTIALS", "AWS_EC2_METADATA_DISABLED"):
        assert part in r.out["error"]


def test_connection_reuse_and_memory(fault_server, probe):
    fault_server.default = OK_KEYS
    r = probe(*KMS_LIST, "--repeat", "50", env=fake_env(fault_server))
    assert r.out["ok"], r.out
    assert r.out["calls"] == 50
    assert len(fault_server.requests) == 50
    print(f"\n50 sequential calls: {fault_server.connections} TCP connection(s) accepted by the "
          f"server, {r.out['connections']} opened by libcurl, peak RSS {r.out['peak_rss_kb']} KiB, "
          f"{r.out['elapsed_ms']} ms")
    assert fault_server.connections <= 2
    assert r.out["connections"] <= 2
    assert r.out["peak_rss_kb"] < 64 * 1024


def test_connection_reuse_across_threads(fault_server, probe):
    """Four threads share one client, 25 calls each: connections are pooled, not per call."""
    fault_server.default = OK_KEYS
    r = probe(*KMS_LIST, "--threads", "4", "--repeat", "25", env=fake_env(fault_server))
    assert r.out["ok"], r.out
    assert r.out["calls"] == 101
    assert len(fault_server.requests) == 101
    print(f"\n4 threads x 25 calls: {fault_server.connections} TCP connection(s), "
          f"peak RSS {r.out['peak_rss_kb']} KiB, {r.out['elapsed_ms']} ms")
    assert fault_server.connections <= 4


@pytest.fixture
def tls_server(tmp_path):
    """A FaultServer speaking TLS with a throw-away self-signed certificate for 127.0.0.1."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    s = FaultServer(tls_cert=str(cert), tls_key=str(key))
    s.default = OK_KEYS
    try:
        yield s, cert
    finally:
        s.stop()


def test_tls_is_verified_and_aws_ca_bundle_honoured(tls_server, probe):
    server, cert = tls_server
    r = probe(*KMS_LIST, env=fake_env(server))
    assert r.out["sa_status"] == "EINVAL", r.out  # untrusted certificate: not retried
    assert r.out["attempts"] == 1
    assert "certificate" in r.out["error"].lower()
    assert server.requests == []
    r = probe(*KMS_LIST, env={**fake_env(server), "AWS_CA_BUNDLE": str(cert)})
    assert r.out["ok"], r.out
    assert r.out["json"] == {"Keys": [{"KeyId": "k1"}]}
