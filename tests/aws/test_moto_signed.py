"""The C AWS client against moto with SigV4 checking switched on: moto recomputes every signature
with botocore and looks the key up among its IAM users, so these tests prove our signing,
canonicalisation and wire protocols end to end. An IAM user with an allow-all policy is made
through boto3 first, then checking is switched on (and always switched off again afterwards).
"""
from __future__ import annotations

import base64
import datetime
import io
import json
import zipfile

import pytest

ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def signed_moto(aws):
    """Yields (moto, access key id, secret) with signature checking on."""
    iam = aws.boto3_client("iam")
    iam.create_user(UserName="probe-admin")
    key = iam.create_access_key(UserName="probe-admin")["AccessKey"]
    iam.put_user_policy(UserName="probe-admin", PolicyName="all", PolicyDocument=ALLOW_ALL)
    aws.set_auth("0")
    try:
        yield aws, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        aws.set_auth("inf")


def env_for(moto, key_id, secret):
    return {"AWS_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": "ap-southeast-1"}


# One call per service: Query (STS, IAM), JSON 1.1 (KMS, Logs), REST-JSON GETs with empty bodies
# (Lambda, API Gateway), which moto only accepts when x-amz-content-sha256 is signed.
SERVICE_CALLS = {
    "sts": ["--service", "sts", "--op", "GetCallerIdentity"],
    "kms": ["--service", "kms", "--op", "ListKeys"],
    "iam": ["--service", "iam", "--op", "ListRoles"],
    "lambda": ["--service", "lambda", "--op", "ListFunctions", "--method", "GET",
               "--path", "/2015-03-31/functions/"],
    "logs": ["--service", "logs", "--op", "DescribeLogGroups"],
    "apigateway": ["--service", "apigateway", "--op", "GetRestApis", "--method", "GET",
                   "--path", "/restapis"],
}


@pytest.mark.parametrize("service", list(SERVICE_CALLS))
def test_each_service_accepts_our_signature(signed_moto, probe, service):
    moto, key_id, secret = signed_moto
    r = probe(*SERVICE_CALLS[service], env=env_for(moto, key_id, secret))
    assert r.rc == 0 and r.out["ok"], r.out
    assert r.out["status"] == 200
    assert r.out["attempts"] == 1
    assert r.out["request_id"]
    if service == "sts":
        assert ":user/probe-admin</Arn>" in r.out["body"]
    if service == "kms":
        assert r.out["json"]["Keys"] == []
    if service == "lambda":
        assert r.out["json"]["Functions"] == []


def test_writes_with_bodies_and_arn_paths(signed_moto, probe):
    """POST bodies (JSON 1.1 and REST) and a REST path holding an ARN (raw ':'), signed."""
    moto, key_id, secret = signed_moto
    env = env_for(moto, key_id, secret)
    r = probe("--service", "logs", "--op", "CreateLogGroup",
              "--body", '{"logGroupName": "/probe/group-one", "tags": {"k": "v"}}', env=env)
    assert r.out["ok"], r.out
    r = probe("--service", "logs", "--op", "DescribeLogGroups",
              "--body", '{"logGroupNamePrefix": "/probe/"}', env=env)
    assert [g["logGroupName"] for g in r.out["json"]["logGroups"]] == ["/probe/group-one"]
    r = probe("--service", "iam", "--op", "CreateRole", "--param", "RoleName=probe-role",
              "--param", "AssumeRolePolicyDocument=" + json.dumps(
                  {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]}), env=env)
    assert r.out["ok"], r.out
    role_arn = r.out["body"].split("<Arn>")[1].split("</Arn>")[0]

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return e\n")
    create = {"FunctionName": "probe-fn", "Runtime": "python3.12", "Role": role_arn,
              "Handler": "index.handler",
              "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()},
              "Tags": {"team": "probe"}}
    r = probe("--service", "lambda", "--op", "CreateFunction", "--method", "POST",
              "--path", "/2015-03-31/functions", "--body", json.dumps(create), env=env)
    assert r.out["ok"], r.out
    fn_arn = r.out["json"]["FunctionArn"]
    r = probe("--service", "lambda", "--op", "ListTags", "--method", "GET",
              "--path", "/2017-03-31/tags/{}", "--label", fn_arn, env=env)
    assert r.out["ok"], r.out
    assert r.out["json"]["Tags"] == {"team": "probe"}
    r = probe("--service", "lambda", "--op", "GetFunction", "--method", "GET",
              "--path", "/2015-03-31/functions/{}", "--label", "probe-fn",
              "--query", "Qualifier=$LATEST", env=env)
    assert r.out["ok"], r.out
    r = probe("--service", "kms", "--op", "CreateKey",
              "--body", '{"Description": "probe key"}', env=env)
    assert r.out["ok"], r.out
    assert r.out["json"]["KeyMetadata"]["Arn"].startswith("arn:aws:kms:ap-southeast-1:")
    r = probe("--service", "apigateway", "--op", "CreateRestApi", "--method", "POST",
              "--path", "/restapis", "--body", '{"name": "probe-api"}', env=env)
    assert r.out["ok"] and r.out["status"] in (200, 201), r.out  # AWS: 201, moto: 200


def test_wrong_secret_is_signature_does_not_match(signed_moto, probe):
    moto, key_id, secret = signed_moto
    r = probe("--service", "kms", "--op", "ListKeys",
              env=env_for(moto, key_id, secret[:-4] + "XXXX"))
    assert r.rc == 1 and not r.out["ok"]
    assert r.out["sa_status"] == "EAWS"
    assert r.out["code"] == "SignatureDoesNotMatch"
    assert r.out["http_status"] == 403
    assert r.out["attempts"] == 1
    assert r.out["request_id"]
    assert r.out["error"].startswith("KMS ListKeys: SignatureDoesNotMatch: ")
    assert secret not in r.stderr + json.dumps(r.out)


def test_unknown_key_is_invalid_client_token_id(signed_moto, probe):
    moto, _, secret = signed_moto
    r = probe("--service", "lambda", "--op", "ListFunctions", "--method", "GET",
              "--path", "/2015-03-31/functions/",
              env=env_for(moto, "AKIAUNKNOWNKEY000000", secret))
    assert not r.out["ok"]
    assert r.out["code"] == "InvalidClientTokenId"
    assert r.out["http_status"] == 403
    assert "Lambda ListFunctions: InvalidClientTokenId" in r.out["error"]


def test_profile_credentials_and_region(signed_moto, probe, tmp_path):
    """Credentials and region from a shared credentials/config file pair selected by
    AWS_PROFILE, with signature checking on."""
    moto, key_id, secret = signed_moto
    creds = tmp_path / "credentials"
    creds.write_text(f"[ops]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    config = tmp_path / "config"
    config.write_text("[profile ops]\nregion = eu-west-1\n")
    r = probe("--service", "kms", "--op", "CreateKey", "--body", "{}",
              env={"AWS_ENDPOINT_URL": moto.url, "AWS_SHARED_CREDENTIALS_FILE": str(creds),
                   "AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "ops",
                   "AWS_REGION": ""})
    assert r.out["ok"], r.out
    assert r.out["region"] == "eu-west-1"
    assert r.out["json"]["KeyMetadata"]["Arn"].startswith("arn:aws:kms:eu-west-1:")


def test_debug_log_is_redacted(signed_moto, probe):
    moto, key_id, secret = signed_moto
    env = env_for(moto, key_id, secret)
    env["AWS_SESSION_TOKEN"] = "not-a-real-session-token-but-secret"
    r = probe("--service", "sts", "--op", "GetCallerIdentity", "--debug", env=env)
    # moto rejects a session token on an IAM user key; what matters here is the log
    assert "Authorization: <redacted>" in r.stderr
    assert "X-Amz-Security-Token: <redacted>" in r.stderr
    assert secret not in r.stderr
    assert "not-a-real-session-token-but-secret" not in r.stderr
    assert "Signature=" not in r.stderr


# ---- credential_process -------------------------------------------------------------------
def write_helper(folder, key_id, secret, *, version=1, expires_in_s=3600):
    """A credential_process helper in a folder whose name has a space: it checks its arguments,
    notes each run in runs.txt, says something on stderr and prints the key as JSON."""
    folder.mkdir()
    expiration = (datetime.datetime.now(datetime.timezone.utc) +
                  datetime.timedelta(seconds=expires_in_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = json.dumps({"Version": version, "AccessKeyId": key_id, "SecretAccessKey": secret,
                         "Expiration": expiration})
    helper = folder / "helper.sh"
    helper.write_text("#!/bin/sh\n"
                      '[ "$1" = --role ] && [ "$2" = "team admin" ] || exit 5\n'
                      f'echo run >> "{folder}/runs.txt"\n'
                      'echo "helper: keys for $2" >&2\n'
                      f"cat <<'EOF'\n{answer}\nEOF\n")
    helper.chmod(0o700)
    return helper


def process_env(moto, tmp_path, helper):
    config = tmp_path / "config"
    config.write_text(f"[profile team]\nregion = eu-west-1\n"
                      f"credential_process = \"{helper}\" --role 'team admin'\n")
    return {"AWS_ENDPOINT_URL": moto.url, "AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "team",
            "AWS_REGION": ""}


def test_credential_process_signs_requests(signed_moto, probe, tmp_path):
    """A profile's credential_process prints moto's key: requests signed with it are accepted with
    signature checking on; the helper's stderr reaches ours; the key is asked for once while it
    is fresh; the secret is nowhere in the probe's output or debug log."""
    moto, key_id, secret = signed_moto
    folder = tmp_path / "cred helper"
    helper = write_helper(folder, key_id, secret)
    r = probe("--service", "sts", "--op", "GetCallerIdentity", "--repeat", "3", "--debug",
              env=process_env(moto, tmp_path, helper))
    assert r.rc == 0 and r.out["ok"], (r.out, r.stderr)
    assert ":user/probe-admin</Arn>" in r.out["body"]
    assert r.out["region"] == "eu-west-1"
    assert "aws: using credentials from profile 'team' (credential_process)" in r.stderr
    assert "helper: keys for team admin" in r.stderr
    assert (folder / "runs.txt").read_text().count("run") == 1
    assert secret not in r.stderr + json.dumps(r.out)


def test_credential_process_runs_again_near_expiry(signed_moto, probe, tmp_path):
    """Credentials expiring within the client's 5-minute refresh margin are fetched again for
    every call: the process runs once per call."""
    moto, key_id, secret = signed_moto
    folder = tmp_path / "cred helper"
    helper = write_helper(folder, key_id, secret, expires_in_s=120)
    r = probe("--service", "kms", "--op", "ListKeys", "--repeat", "3",
              env=process_env(moto, tmp_path, helper))
    assert r.rc == 0 and r.out["ok"], (r.out, r.stderr)
    assert (folder / "runs.txt").read_text().count("run") == 3


def test_credential_process_errors_never_echo_its_output(signed_moto, probe, tmp_path):
    """An answer the provider refuses (Version 2, holding the real secret) is an error naming the
    profile and the reason; the secret it printed appears nowhere; no request is sent."""
    moto, key_id, secret = signed_moto
    helper = write_helper(tmp_path / "cred helper", key_id, secret, version=2)
    r = probe("--service", "sts", "--op", "GetCallerIdentity", "--debug",
              env=process_env(moto, tmp_path, helper))
    assert r.rc != 0 and not r.out["ok"]
    assert "profile 'team': credential_process '" in r.out["error"]
    assert "printed Version 2; only Version 1 is supported" in r.out["error"]
    assert r.out.get("attempts", 0) == 0
    assert secret not in r.stderr + json.dumps(r.out)


# ---- role assumption and web identity ------------------------------------------------------
def make_role(moto, name):
    """A role anyone may assume, allowed everything (moto checks the role's policies when a
    request is signed with the role's session keys); returns its ARN. Made before signature
    checking is switched on."""
    iam = moto.boto3_client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Federated": "accounts.example.com"},
         "Action": "sts:AssumeRoleWithWebIdentity"}]})
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=ALLOW_ALL)
    return arn


@pytest.fixture
def signed_moto_with_role(aws):
    """Like signed_moto, plus the role probe-target: yields (moto, key id, secret, role ARN)."""
    iam = aws.boto3_client("iam")
    iam.create_user(UserName="probe-admin")
    key = iam.create_access_key(UserName="probe-admin")["AccessKey"]
    iam.put_user_policy(UserName="probe-admin", PolicyName="all", PolicyDocument=ALLOW_ALL)
    role_arn = make_role(aws, "probe-target")
    aws.set_auth("0")
    try:
        yield aws, key["AccessKeyId"], key["SecretAccessKey"], role_arn
    finally:
        aws.set_auth("inf")


def caller_arn(body):
    return body.split("<Arn>")[1].split("</Arn>")[0]


def test_profile_role_arn_with_source_profile(signed_moto_with_role, probe, tmp_path):
    """A profile with role_arn and source_profile: the provider assumes the role with STS
    AssumeRole signed by the source profile's key, and signs its calls with the role session's
    keys: GetCallerIdentity answers with the assumed role's session ARN, not the user's. The
    source secret is nowhere in the output or debug log."""
    moto, key_id, secret, role_arn = signed_moto_with_role
    account = role_arn.split(":")[4]
    creds = tmp_path / "credentials"
    creds.write_text(f"[base]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\nrole_arn = {role_arn}\nsource_profile = base\n"
                      "role_session_name = probe-session\nexternal_id = probe-ext\n"
                      "duration_seconds = 1800\n")
    r = probe("--service", "sts", "--op", "GetCallerIdentity", "--repeat", "2", "--debug",
              env={"AWS_ENDPOINT_URL": moto.url, "AWS_SHARED_CREDENTIALS_FILE": str(creds),
                   "AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "dev"})
    assert r.rc == 0 and r.out["ok"], (r.out, r.stderr)
    assert caller_arn(r.out["body"]) == \
        f"arn:aws:sts::{account}:assumed-role/probe-target/probe-session"
    assert "aws: using credentials from profile 'dev' (assume role)" in r.stderr
    assert r.stderr.count("using credentials from") == 1  # assumed once, then cached
    assert "X-Amz-Security-Token: <redacted>" in r.stderr
    assert secret not in r.stderr + json.dumps(r.out)


def test_profile_role_arn_access_denied_names_profile(signed_moto_with_role, probe, tmp_path):
    """STS's refusal (here: the source key is not moto's) names the profile and the role and
    keeps STS's code; no call is made."""
    moto, key_id, secret, role_arn = signed_moto_with_role
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\nrole_arn = {role_arn}\nsource_profile = base\n"
                      f"[profile base]\naws_access_key_id = {key_id}\n"
                      f"aws_secret_access_key = {secret[:-4]}XXXX\n")
    r = probe("--service", "sts", "--op", "GetCallerIdentity",
              env={"AWS_ENDPOINT_URL": moto.url, "AWS_CONFIG_FILE": str(config),
                   "AWS_PROFILE": "dev"})
    assert r.rc == 1 and not r.out["ok"]
    want = f"profile 'dev': assuming role {role_arn}: SignatureDoesNotMatch: "
    assert r.out["error"].startswith("STS GetCallerIdentity: " + want), r.out
    assert secret[:-4] not in r.stderr + json.dumps(r.out)


def test_web_identity_from_environment(signed_moto_with_role, probe, tmp_path):
    """AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME): an unsigned STS
    AssumeRoleWithWebIdentity, then calls signed with the role session's keys; the token is
    nowhere in the output or debug log."""
    moto, _, _, role_arn = signed_moto_with_role
    account = role_arn.split(":")[4]
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9iZSJ9.probe-web-identity-token-secret"
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    r = probe("--service", "sts", "--op", "GetCallerIdentity", "--debug",
              env={"AWS_ENDPOINT_URL": moto.url, "AWS_ROLE_ARN": role_arn,
                   "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
                   "AWS_ROLE_SESSION_NAME": "probe-web"})
    assert r.rc == 0 and r.out["ok"], (r.out, r.stderr)
    assert caller_arn(r.out["body"]) == \
        f"arn:aws:sts::{account}:assumed-role/probe-target/probe-web"
    assert "aws: using credentials from web identity (AWS_ROLE_ARN)" in r.stderr
    assert token not in r.stderr + json.dumps(r.out)
