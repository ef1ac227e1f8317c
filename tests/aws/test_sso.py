"""IAM Identity Center (SSO) profiles end to end: aws_probe (the provider's C AWS client) with a
temporary HOME holding ~/.aws/config with an sso-session profile (or a legacy one) and the token
cache file laid out as `aws sso login` lays it (harness/sso_portal.py write_token_cache, botocore's
own cache code), trading the token at the loopback SSO portal (harness/sso_portal.py) for the
credentials of a role assumed in moto, and signing a real STS call that moto accepts with signature
checking on. An expired token stops before any request, to the portal or to AWS, with the
`aws sso login --profile NAME` advice; so does a token the portal refuses, after its one request.
The token never appears in the probe's output or debug log.
"""
from __future__ import annotations

import datetime
import json

import pytest

from harness.loopback import RefusingServer
from harness.sso_portal import SsoPortal, write_token_cache

ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                   "Action": "sts:AssumeRole"}]})
TOKEN = "sso-access-token-that-must-never-be-printed"
START_URL = "https://d-abc123.awsapps.com/start"
ACCOUNT = "123456789012"  # moto's account
ROLE = "SsoAdmin"


def now():
    return datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture
def sso_moto(aws):
    """moto with signature checking on and a role assumed in it: yields (moto, credentials of the
    assumed role, as the portal hands them out)."""
    iam = aws.boto3_client("iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName=ROLE, PolicyName="all", PolicyDocument=ALLOW_ALL)
    assumed = aws.boto3_client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", RoleSessionName="sso-user",
        DurationSeconds=3600)["Credentials"]
    aws.set_auth("0")
    try:
        yield aws, assumed
    finally:
        aws.set_auth("inf")


def portal_for(creds, expires_in_s=None):
    c = dict(creds)
    if expires_in_s is not None:
        c["Expiration"] = now() + datetime.timedelta(seconds=expires_in_s)
    return SsoPortal(TOKEN, {(ACCOUNT, ROLE)}, c)


def lay_out_home(probe_home, *, legacy=False, token_expires_in_s=8 * 3600):
    aws_dir = probe_home / ".aws"
    aws_dir.mkdir(exist_ok=True)
    if legacy:
        (aws_dir / "config").write_text(
            f"[profile dev]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
            f"sso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = eu-west-1\n")
    else:
        (aws_dir / "config").write_text(
            f"[profile dev]\nsso_session = my-sso\nsso_account_id = {ACCOUNT}\n"
            f"sso_role_name = {ROLE}\nregion = eu-west-1\n"
            f"[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
            "sso_registration_scopes = sso:account:access\n")
    write_token_cache(probe_home, START_URL, TOKEN,
                      now() + datetime.timedelta(seconds=token_expires_in_s),
                      None if legacy else "my-sso")


def sso_env(aws_url, portal_url):
    return {"AWS_ENDPOINT_URL": aws_url, "AWS_ENDPOINT_URL_SSO": portal_url,
            "AWS_PROFILE": "dev", "AWS_REGION": ""}


def no_token_in(r):
    assert TOKEN not in r.stderr + json.dumps(r.out)


@pytest.mark.parametrize("legacy", [False, True], ids=["sso-session", "legacy"])
def test_sso_profile_signs_requests(sso_moto, probe, tmp_path, legacy):
    """The portal's credentials (a role assumed in moto) sign GetCallerIdentity, which moto
    accepts with signature checking on; the portal is asked once for three calls while the
    credentials are fresh; the token is nowhere in the output or the debug log."""
    moto, creds = sso_moto
    portal = portal_for(creds)
    try:
        lay_out_home(tmp_path / "home", legacy=legacy)
        r = probe("--service", "sts", "--op", "GetCallerIdentity", "--repeat", "3", "--debug",
                  env=sso_env(moto.url, portal.url))
        assert r.rc == 0 and r.out["ok"], (r.out, r.stderr)
        assert f":assumed-role/{ROLE}/sso-user</Arn>" in r.out["body"]
        assert r.out["region"] == "eu-west-1"
        assert "aws: using credentials from profile 'dev' (sso)" in r.stderr
        assert [(q.method, q.path, q.query, q.token_ok, q.signed) for q in portal.requests] == [
            ("GET", "/federation/credentials", {"role_name": ROLE, "account_id": ACCOUNT},
             True, False)]
        no_token_in(r)
        assert creds["SecretAccessKey"] not in r.stderr + json.dumps(r.out)
    finally:
        portal.stop()


def test_sso_credentials_fetched_again_near_expiry(sso_moto, probe, tmp_path):
    """Role credentials that expire within the client's 5-minute refresh margin are fetched
    from the portal again for every call."""
    moto, creds = sso_moto
    portal = portal_for(creds, expires_in_s=120)
    try:
        lay_out_home(tmp_path / "home")
        r = probe("--service", "sts", "--op", "GetCallerIdentity", "--repeat", "3",
                  env=sso_env(moto.url, portal.url))
        assert r.rc == 0 and r.out["ok"], (r.out, r.stderr)
        assert portal.count == 3
    finally:
        portal.stop()


def test_expired_token_asks_for_login_and_sends_nothing(sso_moto, probe, tmp_path):
    """An expired cached token: the error names the profile and says to run aws sso login; no
    request reaches the portal or AWS (a refusing server stands in for moto and counts)."""
    _, creds = sso_moto
    portal = portal_for(creds)
    aws_counter = RefusingServer()
    try:
        lay_out_home(tmp_path / "home", token_expires_in_s=-60)
        r = probe("--service", "sts", "--op", "GetCallerIdentity", "--debug",
                  env=sso_env(aws_counter.url, portal.url))
        assert r.rc != 0 and not r.out["ok"]
        assert "profile 'dev': the SSO token expired at " in r.out["error"]
        assert "run: aws sso login --profile dev" in r.out["error"]
        assert r.out["attempts"] == 0
        assert portal.count == 0
        assert aws_counter.requests == []
        no_token_in(r)
    finally:
        portal.stop()
        aws_counter.stop()


def test_token_refused_by_the_portal_asks_for_login(sso_moto, probe, tmp_path):
    """A token the portal does not know (signed out, revoked): 401 UnauthorizedException, and
    the error says to run aws sso login; nothing is sent to AWS."""
    _, creds = sso_moto
    portal = SsoPortal("another-token", {(ACCOUNT, ROLE)}, creds)
    aws_counter = RefusingServer()
    try:
        lay_out_home(tmp_path / "home")
        r = probe("--service", "sts", "--op", "GetCallerIdentity", "--debug",
                  env=sso_env(aws_counter.url, portal.url))
        assert r.rc != 0 and not r.out["ok"]
        assert ("profile 'dev': IAM Identity Center refused the SSO token (UnauthorizedException: "
                "Session token not found or invalid)") in r.out["error"]
        assert "run: aws sso login --profile dev" in r.out["error"]
        assert [q.token_ok for q in portal.requests] == [False]
        assert aws_counter.requests == []
        no_token_in(r)
    finally:
        portal.stop()
        aws_counter.stop()
