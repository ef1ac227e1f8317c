"""The loopback SSO portal (harness/sso_portal.py) proved with botocore's own SSO client and
credential provider before any test relies on it: GetRoleCredentials answers as the `sso` model
says (botocore parses roleCredentials, expiration in epoch milliseconds), a wrong token is
botocore's UnauthorizedException, another role ForbiddenException; and a profile plus a token
cache file written by write_token_cache (the AWS CLI's layout) is resolved by botocore's
SSOProvider in a fresh process whose HOME is the test's, through the portal, in both the
sso-session and the legacy form."""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from harness.sso_portal import SsoPortal, write_token_cache

TOKEN = "harness-sso-access-token"
START_URL = "https://d-abc123.awsapps.com/start"
NOW = datetime.datetime.now(datetime.timezone.utc)
CREDS = {"AccessKeyId": "ASIAPORTALEXAMPLE000", "SecretAccessKey": "portal-secret",
         "SessionToken": "portal-session-token",
         "Expiration": (NOW + datetime.timedelta(hours=1)).replace(microsecond=0)}


@pytest.fixture
def portal():
    p = SsoPortal(TOKEN, {("111122223333", "Admin")}, CREDS)
    try:
        yield p
    finally:
        p.stop()


def sso_client(portal):
    return boto3.client("sso", region_name="eu-west-1", endpoint_url=portal.url,
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def test_get_role_credentials_with_botocore(portal):
    r = sso_client(portal).get_role_credentials(roleName="Admin", accountId="111122223333",
                                                accessToken=TOKEN)
    rc = r["roleCredentials"]
    assert rc["accessKeyId"] == "ASIAPORTALEXAMPLE000"
    assert rc["secretAccessKey"] == "portal-secret"
    assert rc["sessionToken"] == "portal-session-token"
    assert rc["expiration"] == int(CREDS["Expiration"].timestamp()) * 1000
    [req] = portal.requests
    assert (req.method, req.path, req.query, req.token_ok, req.signed) == (
        "GET", "/federation/credentials", {"role_name": "Admin", "account_id": "111122223333"},
        True, False)


def test_refusals_are_the_modelled_errors(portal):
    c = sso_client(portal)
    with pytest.raises(c.exceptions.UnauthorizedException) as e:
        c.get_role_credentials(roleName="Admin", accountId="111122223333", accessToken="wrong")
    assert e.value.response["Error"]["Message"] == "Session token not found or invalid"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    with pytest.raises(c.exceptions.ClientError) as e:
        c.get_role_credentials(roleName="Other", accountId="111122223333", accessToken=TOKEN)
    assert e.value.response["Error"]["Code"] == "ForbiddenException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert [r.token_ok for r in portal.requests] == [False, True]


BOTOCORE_RESOLVE = """
import json, botocore.session
s = botocore.session.Session(profile='dev')
c = s.get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"method": c.method, "key": f.access_key, "token": f.token}))
"""


@pytest.mark.parametrize("form", ["sso-session", "legacy"])
def test_botocore_resolves_the_cli_layout_through_the_portal(portal, tmp_path, form):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    if form == "sso-session":
        (home / ".aws" / "config").write_text(
            "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\n"
            "sso_role_name = Admin\n"
            f"[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
            "sso_registration_scopes = sso:account:access\n")
        path = write_token_cache(home, START_URL, TOKEN, NOW + datetime.timedelta(hours=8),
                                 "my-sso")
        assert path.endswith("/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json")
    else:
        (home / ".aws" / "config").write_text(
            f"[profile dev]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n"
            "sso_account_id = 111122223333\nsso_role_name = Admin\n")
        path = write_token_cache(home, START_URL, TOKEN, NOW + datetime.timedelta(hours=8), None)
        assert path.endswith("/.aws/sso/cache/40a89917e3175433e361b710a9d43528d7f1890a.json")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(home), "AWS_ENDPOINT_URL_SSO": portal.url,
                "AWS_EC2_METADATA_DISABLED": "true"})
    p = subprocess.run([sys.executable, "-c", BOTOCORE_RESOLVE], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out == {"method": "sso", "key": "ASIAPORTALEXAMPLE000",
                   "token": "portal-session-token"}
    assert [r.token_ok for r in portal.requests] == [True]
