"""The validating proxy in front of moto (harness/aws_validator.py, harness/aws_model.py): signed
raw requests that break the botocore models (a member sent under its member name instead of its
wire name, unknown members, 51 tags, a pattern, an enum) are recorded with operation, member and
rule and answered with AWS's 400 of that protocol; record mode passes them on; unsigned requests
pass unchecked; valid boto3 calls of all seven services, the plugin's operations among them, make
no violation; a test that makes one fails (a child pytest session); the proxy passes HTTP through
byte for byte; the session totals add up to check.sh's summary line."""
import base64
import contextlib
import http.client
import io
import json
import os
import subprocess
import sys
import textwrap
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from harness.aws_validator import SUMMARY, Recorder, ValidatingProxy, main, sum_totals
from harness.http_proxy import ForwardingProxy
from harness.loopback import LoopbackServer

TESTS = Path(__file__).resolve().parent.parent
REGION = "ap-southeast-1"
ACCOUNT = "123456789012"


def send_signed(url: str, service: str, method: str, path: str, body: bytes = b"",
                headers: dict | None = None):
    """One SigV4-signed request (botocore's signer), sent as is: (status, headers, body)."""
    req = AWSRequest(method=method, url=url + path, data=body, headers=headers or {})
    SigV4Auth(Credentials("AKIAIOSFODNN7EXAMPLE", "moto-test-secret-key-not-real"),
              service, REGION).add_auth(req)
    p = req.prepare()
    u = urllib.parse.urlparse(p.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=p.body,
                     headers=dict(p.headers))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def json11(target: str, doc: dict) -> dict:
    return {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}, \
        json.dumps(doc).encode()


def create_role_form(tags: int) -> bytes:
    form = {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "many-tags",
            "AssumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": []})}
    for i in range(1, tags + 1):
        form[f"Tags.member.{i}.Key"] = f"k{i}"
        form[f"Tags.member.{i}.Value"] = "v"
    return urllib.parse.urlencode(form).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture
def proxy(aws):
    """The session's validating proxy in front of moto when it refuses violations (the usual
    case), otherwise (SECUREAPI_AWS_VALIDATION=record or off) one that does, in front of the same
    moto: these tests are about the validator, whatever mode the session runs in."""
    if aws.proxy.mode == "enforce":
        yield aws.proxy
        return
    p = ValidatingProxy(aws.direct_url, "enforce")
    yield p
    p.stop()


# ---- violations are recorded and refused as AWS refuses them -------------------------------------
def test_member_name_instead_of_wire_name_in_a_rest_json_body(aws, proxy):
    """API Gateway PutIntegration's integrationHttpMethod travels as "httpMethod"."""
    body = json.dumps({"type": "AWS_PROXY", "httpMethod": "POST",
                       "integrationHttpMethod": "POST", "uri": "arn:aws:apigateway:x"}).encode()
    status, headers, answer = send_signed(
        proxy.url, "apigateway", "PUT", "/restapis/abc123/resources/r00t/methods/GET/integration",
        body, {"Content-Type": "application/json"})
    got = proxy.take()
    assert [(v.service, v.operation, v.member, v.rule) for v in got] == [
        ("API Gateway", "PutIntegration", "integrationHttpMethod",
         "unknown member 'integrationHttpMethod' (wire name is 'httpMethod')")]
    assert status == 400
    assert headers["x-amzn-errortype"] == "BadRequestException"
    doc = json.loads(answer)
    assert doc["__type"] == "BadRequestException"
    assert "integrationHttpMethod: unknown member" in doc["message"]


def test_unknown_member_in_a_json_body(aws, proxy):
    headers, body = json11("TrentService.CreateKey", {"Description": "d", "Tagz": []})
    status, rh, answer = send_signed(proxy.url, "kms", "POST", "/", body, headers)
    got = proxy.take()
    assert [str(v) for v in got] == ["KMS CreateKey: Tagz: unknown member 'Tagz' "
                                     "(did you mean 'Tags'?)"]
    assert status == 400
    assert rh["content-type"] == "application/x-amz-json-1.1"
    assert rh["x-amzn-errortype"] == "ValidationException"
    assert json.loads(answer)["__type"] == "ValidationException"
    # refused before moto: no key was made
    assert aws.boto3_client("kms", url=proxy.url).list_keys()["Keys"] == []


def test_fifty_one_tags_on_create_role(aws, proxy):
    status, rh, answer = send_signed(proxy.url, "iam", "POST", "/", create_role_form(51), FORM)
    got = proxy.take()
    assert [(v.service, v.operation, v.member, v.rule) for v in got] == [
        ("IAM", "CreateRole", "Tags", "max 50 (got 51 items)")]
    assert status == 400
    err = ET.fromstring(answer)
    assert err.tag == "ErrorResponse"
    assert err.findtext("Error/Type") == "Sender"
    assert err.findtext("Error/Code") == "ValidationError"
    assert "Tags: max 50 (got 51 items)" in err.findtext("Error/Message")
    assert err.findtext("RequestId")
    assert aws.boto3_client("iam", url=proxy.url).list_roles()["Roles"] == []
    # fifty are fine
    status, _, _ = send_signed(proxy.url, "iam", "POST", "/", create_role_form(50), FORM)
    assert status == 200 and proxy.take() == []


def test_pattern_enum_and_lambda_error_code(aws, proxy):
    headers, body = json11("Logs_20140328.CreateLogGroup",
                           {"logGroupName": "/secureapi/a b", "tags": {"team,ops": "x"}})
    status, _, _ = send_signed(proxy.url, "logs", "POST", "/", body, headers)
    assert status == 400
    assert [str(v) for v in proxy.take()] == [
        r"CloudWatch Logs CreateLogGroup: logGroupName: pattern [\.\-_/#A-Za-z0-9]+ "
        r"(got '/secureapi/a b')",
        r"CloudWatch Logs CreateLogGroup: tags['team,ops']: key pattern "
        r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$"]
    create = {"FunctionName": "fn", "Role": f"arn:aws:iam::{ACCOUNT}:role/r",
              "Runtime": "nodejs8", "Handler": "index.handler",
              "Code": {"ZipFile": base64.b64encode(b"PK").decode()},
              "Environment": {"Variables": {"A": "secret-value"}}}
    status, rh, answer = send_signed(proxy.url, "lambda", "POST", "/2015-03-31/functions",
                                     json.dumps(create).encode(),
                                     {"Content-Type": "application/json"})
    got = {v.member: v.rule for v in proxy.take()}
    assert got["Runtime"].startswith("enum [nodejs, ") and got["Runtime"].endswith(
        "] (got 'nodejs8')")
    assert got["Environment.Variables['A']"] == "key pattern [a-zA-Z]([a-zA-Z0-9_])+"
    assert status == 400 and rh["x-amzn-errortype"] == "InvalidParameterValueException"
    assert "secret-value" not in answer.decode()  # sensitive values are never shown


def test_unidentifiable_signed_requests_are_violations(aws, proxy):
    status, _, _ = send_signed(proxy.url, "apigateway", "GET", "/no/such/operation")
    assert status == 400
    status, _, _ = send_signed(proxy.url, "kms", "POST", "/", b"{}",
                               {"X-Amz-Target": "TrentService.NoSuchThing",
                                "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400
    got = [(v.operation, v.member) for v in proxy.take()]
    assert got == [("?", "request line"), ("?", "X-Amz-Target")]


def test_unsigned_requests_pass_unchecked(aws, proxy):
    before = proxy.recorder.requests
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    conn.request("POST", "/moto-api/reset", body=b"")
    assert conn.getresponse().status == 200
    assert proxy.recorder.requests == before


def test_record_mode_passes_the_request_on(aws):
    recorder = Recorder()
    proxy = ValidatingProxy(aws.direct_url, "record", recorder)
    headers, body = json11("TrentService.CreateKey", {"Description": "d", "Tagz": []})
    try:
        status, _, answer = send_signed(proxy.url, "kms", "POST", "/", body, headers)
    finally:
        proxy.stop()
    assert status == 200  # moto ignores what it does not know, and made the key
    assert [v.member for v in recorder.take()] == ["Tagz"]
    assert aws.boto3_client("kms").list_keys()["Keys"][0]["KeyId"] == \
        json.loads(answer)["KeyMetadata"]["KeyId"]


# ---- no false positives: valid boto3 calls of every service --------------------------------------
def zipped_handler() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.js", "exports.handler = async () => ({statusCode: 200});\n")
    return buf.getvalue()


def test_valid_boto3_calls_make_no_violation(aws, proxy):
    """The operations the plugin calls (provider/stack_*.c), made with boto3, all pass."""
    before = proxy.recorder.requests
    tags = [{"TagKey": "secureapi:stack", "TagValue": "t"}]
    kms = aws.boto3_client("kms", url=proxy.url)
    key = kms.create_key(Description="validator key", Tags=tags)["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "team", "TagValue": "ops"}])
    kms.untag_resource(KeyId=key, TagKeys=["team"])
    kms.list_resource_tags(KeyId=key)
    kms.describe_key(KeyId=key)
    kms.enable_key_rotation(KeyId=key)
    kms.get_key_rotation_status(KeyId=key)
    kms.disable_key_rotation(KeyId=key)
    kms.create_alias(AliasName="alias/validator", TargetKeyId=key)
    key2 = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName="alias/validator", TargetKeyId=key2)
    kms.list_aliases(KeyId=key2)
    kms.delete_alias(AliasName="alias/validator")

    tagging = aws.boto3_client("resourcegroupstaggingapi", url=proxy.url)
    tagging.get_resources(TagFilters=[{"Key": "secureapi:stack", "Values": ["t"]}],
                          ResourceTypeFilters=["kms:key"])

    logs = aws.boto3_client("logs", url=proxy.url)
    key_arn = kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/aws/lambda/validator-fn", kmsKeyId=key_arn,
                          tags={"secureapi:stack": "t"})
    logs.put_retention_policy(logGroupName="/aws/lambda/validator-fn", retentionInDays=14)
    logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/validator")
    logs.list_tags_log_group(logGroupName="/aws/lambda/validator-fn")

    iam = aws.boto3_client("iam", url=proxy.url)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="validator-role", AssumeRolePolicyDocument=trust,
                           Tags=[{"Key": "secureapi:stack", "Value": "t"}])["Role"]["Arn"]
    iam.tag_role(RoleName="validator-role", Tags=[{"Key": "team", "Value": "ops"}])
    iam.untag_role(RoleName="validator-role", TagKeys=["team"])
    iam.list_role_tags(RoleName="validator-role")
    iam.put_role_policy(RoleName="validator-role", PolicyName="logs",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": "logs:PutLogEvents",
                            "Resource": "*"}]}))
    iam.list_role_policies(RoleName="validator-role")
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.attach_role_policy(RoleName="validator-role", PolicyArn=basic)
    iam.list_attached_role_policies(RoleName="validator-role")
    iam.get_role(RoleName="validator-role")

    assert aws.boto3_client("sts", url=proxy.url).get_caller_identity()["Account"] == ACCOUNT

    lam = aws.boto3_client("lambda", url=proxy.url)
    lam.create_function(FunctionName="validator-fn", Runtime="nodejs20.x", Role=role,
                        Handler="index.handler", Code={"ZipFile": zipped_handler()},
                        Timeout=10, MemorySize=256, Description="validator",
                        Environment={"Variables": {"STAGE": "dev"}},
                        KMSKeyArn=key_arn, Tags={"secureapi:stack": "t"})
    lam.get_function(FunctionName="validator-fn")
    lam.update_function_configuration(FunctionName="validator-fn", Timeout=20,
                                      Environment={"Variables": {"STAGE": "prod"}})
    lam.update_function_code(FunctionName="validator-fn", ZipFile=zipped_handler(),
                             Publish=False)
    lam.list_functions(MaxItems=50)

    apigw = aws.boto3_client("apigateway", url=proxy.url)
    api = apigw.create_rest_api(name="validator-api", description="d",
                                endpointConfiguration={"types": ["REGIONAL"]},
                                tags={"secureapi:stack": "t"})
    api_id = api["id"]
    resources = apigw.get_resources(restApiId=api_id, limit=500)["items"]
    root = next(r["id"] for r in resources if r["path"] == "/")
    greedy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    for res, verb in ((root, "GET"), (greedy, "ANY")):
        apigw.put_method(restApiId=api_id, resourceId=res, httpMethod=verb,
                         authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod=verb,
                              type="AWS_PROXY", integrationHttpMethod="POST",
                              uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/"
                                  f"functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
                                  f"validator-fn/invocations")
    dep = apigw.create_deployment(restApiId=api_id, description="d")["id"]
    apigw.create_stage(restApiId=api_id, stageName="dev", deploymentId=dep,
                       description="stage", tags={"secureapi:stack": "t"})
    apigw.get_stage(restApiId=api_id, stageName="dev")
    apigw.get_stages(restApiId=api_id)
    apigw.get_rest_api(restApiId=api_id)
    apigw.get_rest_apis(limit=500)

    lam.add_permission(FunctionName="validator-fn", StatementId="apigw",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/*/*")
    lam.get_policy(FunctionName="validator-fn")
    lam.remove_permission(FunctionName="validator-fn", StatementId="apigw")

    apigw.delete_stage(restApiId=api_id, stageName="dev")
    apigw.delete_rest_api(restApiId=api_id)
    lam.delete_function(FunctionName="validator-fn")
    logs.delete_log_group(logGroupName="/aws/lambda/validator-fn")
    iam.detach_role_policy(RoleName="validator-role", PolicyArn=basic)
    iam.delete_role_policy(RoleName="validator-role", PolicyName="logs")
    iam.delete_role(RoleName="validator-role")
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)

    assert proxy.take() == []
    assert proxy.recorder.requests - before >= 55  # every call was checked


# ---- a violation fails the test that made it -----------------------------------------------------
@pytest.mark.parametrize("mode", ["enforce", "off"])
def test_a_test_making_a_violation_fails(tmp_path, mode):
    """A child session whose test sends 51 tags with boto3's own checks off: with the validator
    on, the test fails naming operation, member and rule; with it off, it passes."""
    (tmp_path / "test_child.py").write_text(textwrap.dedent("""\
        import json
        import boto3
        from botocore.config import Config

        def test_child(aws):
            iam = boto3.client("iam", region_name="ap-southeast-1", endpoint_url=aws.url,
                               aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                               aws_secret_access_key="moto-test-secret-key-not-real",
                               config=Config(parameter_validation=False))
            try:
                iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({}),
                                Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
            except Exception as e:
                print("answer:", e)
        """))
    env = dict(os.environ, PYTHONPATH=str(TESTS), SECUREAPI_AWS_VALIDATION=mode,
               SECUREAPI_LOG_DIR=str(tmp_path / "logs"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest",
                        "-p", "no:cacheprovider", str(tmp_path / "test_child.py")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    totals = json.loads(next((tmp_path / "logs").glob("aws-validation-*.json")).read_text())
    if mode == "off":
        assert r.returncode == 0, out
        assert totals["violations"] == 0
        return
    assert r.returncode == 1, out
    assert "IAM CreateRole: Tags: max 50 (got 51 items) [POST /]" in out
    assert "ValidationError" in out  # what boto3 was answered
    assert totals["requests"] == 1 and totals["violations"] == 1
    assert totals["details"][0]["test"] == "test_child.py::test_child"


# ---- the proxy itself ----------------------------------------------------------------------------
class Echo(BaseHTTPRequestHandler):
    """Answers with what it was sent, and a few headers of its own."""
    protocol_version = "HTTP/1.1"

    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        doc = json.dumps({"method": self.command, "target": self.path, "body": body.decode(),
                          "headers": list(self.headers.items()),
                          "peer": self.client_address[1]}).encode()
        self.send_response(201, "Made It")
        self.send_header("X-Twice", "1")
        self.send_header("X-Twice", "2")
        self.send_header("Content-Length", str(len(doc)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(doc)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

    def log_message(self, *args):
        pass


class HangingUpEcho(Echo):
    """Closes each connection after its answer, without saying so (as a server closing idle
    keep-alive connections does)."""

    def _any(self):
        super()._any()
        self.close_connection = True

    do_GET = do_POST = _any


@contextlib.contextmanager
def behind_proxy(handler):
    server = LoopbackServer(handler)
    proxy = ForwardingProxy(server.url)
    try:
        yield proxy
    finally:
        proxy.stop()
        server.stop()


@pytest.fixture
def echo_proxy():
    with behind_proxy(Echo) as proxy:
        yield proxy


def test_proxy_passes_requests_and_answers_through(echo_proxy):
    conn = http.client.HTTPConnection("127.0.0.1", echo_proxy.port, timeout=10)
    peers = set()
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        body = b"" if method == "GET" else f"body of {method} \xe9".encode()
        target = "/a%2Fb/c?x=1&x=2&y=%3A"
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("X-Amz-Date", "20260101T000000Z")
        conn.putheader("X-Dup", "a")
        conn.putheader("X-Dup", "b")
        if body:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        r = conn.getresponse()  # one connection for all: kept alive through the proxy
        seen = json.loads(r.read())
        assert (r.status, r.reason) == (201, "Made It")
        assert r.headers.get_all("X-Twice") == ["1", "2"]
        assert seen["method"] == method and seen["target"] == target
        assert seen["body"] == body.decode()
        names = [k for k, _ in seen["headers"]]
        assert names[:4] == ["Host", "X-Amz-Date", "X-Dup", "X-Dup"]
        assert seen["headers"][0][1] == f"127.0.0.1:{echo_proxy.port}"  # the client's Host
        peers.add(seen["peer"])
    assert len(peers) == 1  # one client connection, one upstream connection
    conn.request("HEAD", "/h")
    r = conn.getresponse()
    assert r.status == 201 and r.read() == b"" and int(r.headers["Content-Length"]) > 0
    conn.close()


def test_proxy_turns_a_chunked_body_into_a_sized_one(echo_proxy):
    conn = http.client.HTTPConnection("127.0.0.1", echo_proxy.port, timeout=10)
    conn.request("POST", "/c", body=iter([b"abc", b"defg"]), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    seen = json.loads(conn.getresponse().read())
    assert seen["body"] == "abcdefg"
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert headers["content-length"] == "7" and "transfer-encoding" not in headers


def test_proxy_reconnects_when_the_upstream_hung_up():
    with behind_proxy(HangingUpEcho) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        peers = set()
        for i in range(3):
            conn.request("POST", "/again", body=f"{i}".encode())
            r = conn.getresponse()
            seen = json.loads(r.read())
            assert r.status == 201 and seen["body"] == f"{i}"
            peers.add(seen["peer"])
        conn.close()
    assert len(peers) == 3  # each on a new upstream connection, the client's kept


# ---- the totals of the sessions ------------------------------------------------------------------
def test_totals_add_up_to_the_summary_line(tmp_path, capsys):
    bad = {"service": "IAM", "operation": "CreateRole", "member": "Tags",
           "rule": "max 50 (got 51 items)", "request": "POST /"}
    for name, requests, tests in (("a", 10, []), ("b", 5, ["t1", "t2"]), ("c", 1, ["t2"])):
        (tmp_path / f"aws-validation-{name}-1.json").write_text(json.dumps(
            {"requests": requests, "violations": len(tests),
             "details": [dict(bad, test=t) for t in tests]}))
    line, ok = sum_totals(tmp_path)
    assert line == f"{SUMMARY}: 16, violations: 3" and not ok
    assert main(["aws_validator", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        line, "  IAM CreateRole: Tags: max 50 (got 51 items) (3 times in 2 tests, e.g. t1)"]
    line, ok = sum_totals(tmp_path / "none")
    assert line.startswith(f"{SUMMARY}: 0, violations: 0") and "wrong" in line and not ok
    (tmp_path / "aws-validation-b-1.json").unlink()
    (tmp_path / "aws-validation-c-1.json").unlink()
    assert sum_totals(tmp_path) == (f"{SUMMARY}: 10, violations: 0", True)
