"""Role credentials through the real Pulumi CLI, with moto's SigV4 signature checking on (moto
checks every request's signature and that its key belongs to a user or a role session it made):
a YAML SecureApiStack is deployed and destroyed with the credentials given as (a) a profile with
role_arn and source_profile, (b) AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, (c) a
credential_process that prints a role session's keys, (d) the `secureapi:assumeRole`
provider setting over static keys in the environment, and (e) an IAM Identity Center profile
(sso_session) with the token cache `aws sso login` writes, answered by the harness's loopback
portal with a role session's keys. In each case the caller identity the
plugin logs at Configure (its -v=9 log, flowed into the CLI's with --logflow) is the assumed
role's session ARN, not the base user's; destroy leaves nothing; and no secret (the base secret
key, any moto session token, the web identity token, the external id, the SSO access token) is in the plugin's log, the
CLI's --debug output or the exported state. A bad assumeRole is refused at Configure naming the
property, before any AWS call."""
from __future__ import annotations

import datetime
import json
import sys

import boto3
import pytest

from harness.projects import yaml_project
from harness.sso_portal import SsoPortal, write_token_cache
from harness.stack_checks import everything

ROLE = "secureapi-deployer"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
MOTO_TOKEN_PREFIX = "FQoGZXIvYXdzEBYaD"  # moto's session tokens (moto/sts/utils.py) start so
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.e2e-web-identity-token-secret"
EXTERNAL_ID = "e2e-external-id-4711"
SSO_TOKEN = "e2e-sso-access-token-never-printed"
SSO_START_URL = "https://d-e2e123.awsapps.com/start"


@pytest.fixture
def signed_role(aws):
    """An IAM user `base` with keys and a role anyone may assume, both allowed everything, then
    signature checking on: yields (key id, secret, role ARN, account)."""
    iam = aws.boto3_client("iam")
    iam.create_user(UserName="base")
    iam.put_user_policy(UserName="base", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="base")["AccessKey"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole",
                                                                   "sts:TagSession"]},
        {"Effect": "Allow", "Principal": {"Federated": "token.ci.example.com"},
         "Action": "sts:AssumeRoleWithWebIdentity"}]})
    arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="all", PolicyDocument=ALLOW_ALL)
    aws.set_auth("0")
    try:
        yield key["AccessKeyId"], key["SecretAccessKey"], arn, arn.split(":")[4]
    finally:
        aws.set_auth("inf")


def deploy_and_check(pulumi, aws, proj, env, account, session, secrets, config=()):
    """up (plugin log flowed at -v=9), export, destroy (--debug); checks the caller ARN the plugin
    logged at Configure, that no secret leaked and that nothing is left but the role."""
    run = lambda *a, **kw: pulumi.run(*a, cwd=proj, env=env, **kw)  # noqa: E731
    run("stack", "init", "dev")
    for args in config:
        run("config", "set", *args)
    up = run("up", "--yes", "--skip-preview", "--logflow", "-v=9", "--logtostderr")
    plugin_log = "\n".join(l for l in (up.stdout + up.stderr).splitlines()
                           if "pulumi-resource-secureapi:" in l)
    want = f"Configure: AWS caller arn:aws:sts::{account}:assumed-role/{ROLE}/{session} "
    assert want in plugin_log, plugin_log[-3000:]
    assert f"arn:aws:iam::{account}:user/base" not in plugin_log
    assert "X-Amz-Security-Token: <redacted>" in plugin_log  # signed with a session's token
    state = run("stack", "export").stdout
    down = run("destroy", "--yes", "--skip-preview", "--debug")
    cli_text = up.stdout + up.stderr + down.stdout + down.stderr
    for s in (*secrets, MOTO_TOKEN_PREFIX):
        assert s not in plugin_log, f"{s[:6]}... leaked into the plugin's log"
        assert s not in cli_text, f"{s[:6]}... leaked into the CLI's output"
        assert s not in state, f"{s[:6]}... is in the exported state"
    aws.set_auth("inf")
    left = everything(aws)
    assert left == {**{k: [] for k in left}, "iam roles": [ROLE]}, left


def project(tmp_path, suffix, plugin_bin):
    return yaml_project(tmp_path / "proj", "creds", plugin_bin.parent,
                        {"environmentSuffix": suffix, "region": "ap-southeast-1"})


def no_env_keys(**extra):
    return {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", **extra}


def test_profile_role_arn_source_profile(pulumi, aws, signed_role, plugin_bin, tmp_path):
    key_id, secret, role_arn, account = signed_role
    creds = tmp_path / "credentials"
    creds.write_text(f"[base]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\nrole_arn = {role_arn}\nsource_profile = base\n"
                      "role_session_name = e2e-profile\n")
    env = no_env_keys(AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(config),
                      AWS_PROFILE="dev")
    deploy_and_check(pulumi, aws, project(tmp_path, "prof", plugin_bin), env, account,
                     "e2e-profile", [secret])


def test_web_identity_environment(pulumi, aws, signed_role, plugin_bin, tmp_path):
    _, secret, role_arn, account = signed_role
    token_file = tmp_path / "token"
    token_file.write_text(WEB_TOKEN + "\n")
    env = no_env_keys(AWS_ROLE_ARN=role_arn, AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
                      AWS_ROLE_SESSION_NAME="e2e-oidc")
    deploy_and_check(pulumi, aws, project(tmp_path, "oidc", plugin_bin), env, account,
                     "e2e-oidc", [secret, WEB_TOKEN])


def test_credential_process(pulumi, aws, signed_role, plugin_bin, tmp_path):
    """The process wraps `aws sts assume-role`, as such helpers do: it assumes the role with
    boto3 and prints the session in credential_process's JSON."""
    key_id, secret, role_arn, account = signed_role
    script = tmp_path / "assume.py"
    script.write_text(
        "import json, boto3\n"
        f"sts = boto3.client('sts', region_name='ap-southeast-1', endpoint_url={aws.url!r},\n"
        f"                   aws_access_key_id={key_id!r}, aws_secret_access_key={secret!r})\n"
        f"c = sts.assume_role(RoleArn={role_arn!r}, RoleSessionName='e2e-process')"
        "['Credentials']\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': c['AccessKeyId'],\n"
        "                  'SecretAccessKey': c['SecretAccessKey'],\n"
        "                  'SessionToken': c['SessionToken'],\n"
        "                  'Expiration': c['Expiration'].isoformat()}))\n")
    config = tmp_path / "config"
    config.write_text(f"[profile proc]\ncredential_process = {sys.executable} {script}\n")
    env = no_env_keys(AWS_CONFIG_FILE=str(config), AWS_PROFILE="proc")
    deploy_and_check(pulumi, aws, project(tmp_path, "proc", plugin_bin), env, account,
                     "e2e-process", [secret])


def test_assume_role_setting(pulumi, aws, signed_role, plugin_bin, tmp_path):
    """secureapi:assumeRole with every field (the AssumeRole request passes the botocore model
    check: Policy, Tags.member.N, TransitiveTagKeys.member.N, ExternalId, DurationSeconds) over
    the base user's keys in the environment. A bad roleArn is refused first, naming it."""
    key_id, secret, role_arn, account = signed_role
    proj = project(tmp_path, "ar", plugin_bin)
    env = {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
    pulumi.run("stack", "init", "bad", cwd=proj, env=env)
    pulumi.run("config", "set", "--path", "secureapi:assumeRole.roleArn",
               f"arn:aws:iam::{account}:user/base", cwd=proj, env=env)
    r = pulumi.run("preview", cwd=proj, env=env, check=False)
    assert r.returncode != 0
    assert "assumeRole.roleArn must be an IAM role ARN" in r.stdout + r.stderr, r.stdout
    pulumi.run("stack", "rm", "--yes", "--force", "bad", cwd=proj, env=env)

    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    config = [("--path", "secureapi:assumeRole.roleArn", role_arn),
              ("--path", "secureapi:assumeRole.sessionName", "e2e-setting"),
              ("--path", "--secret", "secureapi:assumeRole.externalId", EXTERNAL_ID),
              ("--path", "secureapi:assumeRole.durationSeconds", "1800"),
              ("--path", "secureapi:assumeRole.policy", policy),
              ("--path", "secureapi:assumeRole.tags.Team", "payments"),
              ("--path", "secureapi:assumeRole.tags.Env", "e2e"),
              ("--path", "secureapi:assumeRole.transitiveTagKeys[0]", "Team")]
    deploy_and_check(pulumi, aws, proj, env, account, "e2e-setting", [secret, EXTERNAL_ID],
                     config=config)


def test_sso_session_profile(pulumi, aws, signed_role, plugin_bin, tmp_path):
    """`aws sso login` done: a profile with sso_session and the token cache laid out as the AWS
    CLI lays it (botocore's own JSONFileCache) under HOME; the portal (harness/sso_portal.py, on
    loopback through AWS_ENDPOINT_URL_SSO) hands out a session of the role, which signs the
    deployment."""
    key_id, secret, role_arn, account = signed_role
    sts = boto3.client("sts", region_name="ap-southeast-1", endpoint_url=aws.url,
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    session = sts.assume_role(RoleArn=role_arn, RoleSessionName="e2e-sso",
                              DurationSeconds=3600)["Credentials"]
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    config = home / ".aws" / "config"
    config.write_text(f"[profile dev]\nsso_session = corp\nsso_account_id = {account}\n"
                      f"sso_role_name = {ROLE}\n"
                      f"[sso-session corp]\nsso_start_url = {SSO_START_URL}\n"
                      "sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n")
    write_token_cache(home, SSO_START_URL, SSO_TOKEN,
                      datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8),
                      "corp")
    portal = SsoPortal(SSO_TOKEN, {(account, ROLE)}, session)
    try:
        env = no_env_keys(HOME=str(home), AWS_CONFIG_FILE=str(config), AWS_PROFILE="dev",
                          AWS_ENDPOINT_URL_SSO=portal.url)
        deploy_and_check(pulumi, aws, project(tmp_path, "sso", plugin_bin), env, account,
                         "e2e-sso", [secret, SSO_TOKEN, session["SecretAccessKey"]])
        assert portal.requests and all(q.token_ok and not q.signed for q in portal.requests)
    finally:
        portal.stop()
