"""botocore as the oracle of credential resolution: a table of shared config / credentials files
and environments (every source the provider's chain knows, the precedence conflicts between them,
source_profile chains, loops and broken settings) is resolved twice, once by botocore (a fresh
Python process per case, with a clean environment and a temporary HOME, so the machine's ~/.aws
is never read: `Session(profile=...)`, `get_credentials()`, then STS GetCallerIdentity) and once by
the provider's C resolver (aws_probe, the same environment), both against the same moto (signature
checking on, IAM users and roles made first), the same loopback SSO portal and the same loopback
container endpoint. Each case asserts both give the same identity (the caller ARN) or both refuse;
where the provider differs from botocore by design, the case says why and asserts our documented
answer instead. The table (case, botocore's answer, ours) is written to
$SECUREAPI_LOG_DIR/resolution_oracle.md (else the build folder) whatever pytest's capture mode.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.build import build_dir
from harness.loopback import LoopbackServer, QuietHandler
from harness.sso_portal import SsoPortal, write_token_cache

ACCOUNT = "123456789012"  # moto's account
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"Federated": "accounts.example.com"},
     "Action": "sts:AssumeRoleWithWebIdentity"}]})
USERS = ("alice", "bob", "carol", "dave")
ROLES = ("RoleA", "RoleB", "RoleC", "WebRole", "SsoRole")
SSO_TOKEN = "oracle-sso-access-token"
START_URL = "https://d-oracle.awsapps.com/start"
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcmFjbGUifQ.oracle-web-identity-token"

# botocore's side of one case, run with `python -c` in a fresh process.
BOTOCORE_SCRIPT = textwrap.dedent("""
    import json, sys
    import botocore.session
    profile = sys.argv[1] or None
    try:
        s = botocore.session.Session(profile=profile)
        c = s.get_credentials()
        if c is None:
            print(json.dumps({"refused": "no credentials"}))
        else:
            arn = s.create_client("sts").get_caller_identity()["Arn"]
            print(json.dumps({"arn": arn}))
    except Exception as e:
        print(json.dumps({"refused": type(e).__name__ + ": " + str(e)}))
""")


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def normalize(arn):
    """The default role session names differ (botocore-session-<t>, secureapi-session-<t>)."""
    return re.sub(r"(assumed-role/[^/]+/)(botocore|secureapi)-session-\d+", r"\1<default>", arn)


class ContainerEndpoint(LoopbackServer):
    """AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback: answers GET /creds with a role session
    (botocore insists on a Token)."""

    def __init__(self, creds):
        expiration = (datetime.datetime.now(datetime.timezone.utc)
                      + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"AccessKeyId": creds["AccessKeyId"],
                           "SecretAccessKey": creds["SecretAccessKey"],
                           "Token": creds["SessionToken"], "Expiration": expiration}).encode()

        class Handler(QuietHandler):
            def do_GET(self):
                self.send_response(200 if self.path == "/creds" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)


# ---- the table -----------------------------------------------------------------------------
# Each case: the config and credentials files (None: absent), extra environment, the profile
# chosen explicitly (botocore Session(profile=...), the probe's --profile: the provider config's
# `profile`), and, for a deviation by design, (our answer, reason). Placeholders: {alice_id},
# {alice_secret} (and the other users), {RoleA} (a role ARN), {proc_dave} (a credential_process
# printing dave's keys), {token_file}, {start_url}, {elsewhere}.
SSO_SESSION = ("[sso-session corp]\nsso_start_url = {start_url}\nsso_region = eu-west-1\n"
               "sso_registration_scopes = sso:account:access\n")
SSO_PROFILE = f"sso_session = corp\nsso_account_id = {ACCOUNT}\nsso_role_name = SsoRole\n"




def keys(user):
    return f"aws_access_key_id = {{{user}_id}}\naws_secret_access_key = {{{user}_secret}}\n"


def env_keys(user):
    return {"AWS_ACCESS_KEY_ID": "{%s_id}" % user, "AWS_SECRET_ACCESS_KEY": "{%s_secret}" % user}


CASES = [
    dict(id="nothing-configured"),
    dict(id="env-keys", env=env_keys("bob")),
    dict(id="env-keys-beat-default-profile", credentials="[default]\n" + keys("alice"),
         env=env_keys("bob")),
    dict(id="half-env-keys", credentials="[default]\n" + keys("alice"),
         env={"AWS_ACCESS_KEY_ID": "{bob_id}"}),
    dict(id="default-profile-credentials-file", credentials="[default]\n" + keys("alice")),
    dict(id="AWS_PROFILE-beats-default",
         credentials="[default]\n" + keys("alice") + "[work]\n" + keys("carol"),
         env={"AWS_PROFILE": "work"}),
    dict(id="explicit-profile-beats-AWS_PROFILE",
         credentials="[default]\n" + keys("alice") + "[work]\n" + keys("carol")
         + "[other]\n" + keys("dave"),
         env={"AWS_PROFILE": "other"}, profile="work"),
    dict(id="explicit-profile-vs-env-keys", credentials="[work]\n" + keys("carol"),
         env=env_keys("bob"), profile="work"),
    dict(id="credentials-file-beats-config-file", credentials="[default]\n" + keys("alice"),
         config="[default]\n" + keys("carol")),
    dict(id="config-file-keys-only", config="[profile work]\n" + keys("carol"),
         env={"AWS_PROFILE": "work"}),
    dict(id="static-keys-beat-process-in-credentials-file",
         credentials="[default]\n" + keys("alice") + "credential_process = {proc_dave}\n"),
    dict(id="process-beats-static-keys-in-config-file",
         config="[default]\n" + keys("carol") + "credential_process = {proc_dave}\n"),
    dict(id="credentials-file-keys-beat-config-file-process",
         credentials="[default]\n" + keys("alice"),
         config="[default]\ncredential_process = {proc_dave}\n"),
    dict(id="half-keys-in-credentials-file",
         credentials="[default]\naws_access_key_id = {alice_id}\n"),
    dict(id="role_arn-beats-static-keys",
         credentials="[base]\n" + keys("alice"),
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = base\n"
                "role_session_name = s1\n" + keys("carol"),
         env={"AWS_PROFILE": "dev"}),
    dict(id="sso-beats-static-keys",
         config="[profile dev]\n" + SSO_PROFILE + keys("carol") + SSO_SESSION,
         env={"AWS_PROFILE": "dev"}),
    dict(id="sso-legacy-profile",
         config="[profile dev]\nsso_start_url = {start_url}\nsso_region = eu-west-1\n"
                f"sso_account_id = {ACCOUNT}\nsso_role_name = SsoRole\n",
         env={"AWS_PROFILE": "dev"}, legacy_sso=True),
    dict(id="web-identity-env-beats-profile-keys",
         credentials="[dev]\n" + keys("alice"),
         env={"AWS_PROFILE": "dev", "AWS_ROLE_ARN": "{WebRole}",
              "AWS_WEB_IDENTITY_TOKEN_FILE": "{token_file}", "AWS_ROLE_SESSION_NAME": "web"}),
    dict(id="web-identity-env-ignored-for-explicit-profile",
         credentials="[dev]\n" + keys("alice"),
         env={"AWS_ROLE_ARN": "{WebRole}", "AWS_WEB_IDENTITY_TOKEN_FILE": "{token_file}",
              "AWS_ROLE_SESSION_NAME": "web"}, profile="dev"),
    dict(id="web-identity-profile",
         config="[profile dev]\nrole_arn = {WebRole}\nweb_identity_token_file = {token_file}\n"
                "role_session_name = webp\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="chain-2-hops",
         credentials="[base]\n" + keys("alice"),
         config="[profile dev]\nrole_arn = {RoleB}\nsource_profile = mid\nrole_session_name = hop2\n"
                "[profile mid]\nrole_arn = {RoleA}\nsource_profile = base\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="chain-3-hops",
         credentials="[base]\n" + keys("alice"),
         config="[profile dev]\nrole_arn = {RoleC}\nsource_profile = m2\nrole_session_name = hop3\n"
                "[profile m2]\nrole_arn = {RoleB}\nsource_profile = m1\n"
                "[profile m1]\nrole_arn = {RoleA}\nsource_profile = base\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="self-reference-with-static-keys",
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = dev\n"
                "role_session_name = self\n" + keys("alice"),
         env={"AWS_PROFILE": "dev"}),
    dict(id="source_profile-to-credential_process",
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = p\nrole_session_name = pr\n"
                "[profile p]\ncredential_process = {proc_dave}\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="source_profile-to-sso",
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = s\nrole_session_name = viasso\n"
                "[profile s]\n" + SSO_PROFILE + SSO_SESSION,
         env={"AWS_PROFILE": "dev"}),
    dict(id="source_profile-cycle",
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = b\n"
                "[profile b]\nrole_arn = {RoleB}\nsource_profile = dev\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="missing-source-profile",
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = ghost\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="role-without-source",
         config="[profile dev]\nrole_arn = {RoleA}\n", env={"AWS_PROFILE": "dev"}),
    dict(id="both-source_profile-and-credential_source",
         credentials="[base]\n" + keys("alice"),
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = base\n"
                "credential_source = Environment\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="credential_source-Bogus",
         config="[profile dev]\nrole_arn = {RoleA}\ncredential_source = Bogus\n",
         env={"AWS_PROFILE": "dev"}),
    dict(id="credential_source-Environment-explicit",
         config="[profile dev]\nrole_arn = {RoleA}\ncredential_source = Environment\n"
                "role_session_name = envsrc\n",
         env=env_keys("bob"), profile="dev"),
    dict(id="env-keys-beat-credential_source-role",
         config="[profile dev]\nrole_arn = {RoleA}\ncredential_source = Environment\n"
                "role_session_name = envsrc\n",
         env=dict(env_keys("bob"), AWS_PROFILE="dev")),
    dict(id="duration_seconds-abc",
         credentials="[base]\n" + keys("alice"),
         config="[profile dev]\nrole_arn = {RoleA}\nsource_profile = base\n"
                "role_session_name = dur\nduration_seconds = abc\n",
         env={"AWS_PROFILE": "dev"},
         deviation=("refused: STS GetCallerIdentity: profile 'dev': duration_seconds must be a "
                    "whole number", "a bad duration_seconds is refused (botocore drops it)")),
    dict(id="profile-does-not-exist", credentials="[default]\n" + keys("alice"),
         env={"AWS_PROFILE": "nope"}),
    dict(id="files-elsewhere",
         credentials="[default]\n" + keys("alice"), config="[default]\n",
         elsewhere_credentials="[default]\n" + keys("carol"),
         env={"AWS_SHARED_CREDENTIALS_FILE": "{elsewhere}/credentials",
              "AWS_CONFIG_FILE": "{elsewhere}/config"}),
    dict(id="config-file-elsewhere",
         config="[profile work]\n" + keys("alice"),
         elsewhere_config="[profile work]\n" + keys("dave"),
         env={"AWS_CONFIG_FILE": "{elsewhere}/config", "AWS_PROFILE": "work"}),
    dict(id="container-endpoint",
         env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}/creds"}),
    dict(id="env-keys-beat-container",
         env=dict(env_keys("bob"), AWS_CONTAINER_CREDENTIALS_FULL_URI="{container}/creds")),
    dict(id="profile-keys-beat-container",
         credentials="[default]\n" + keys("alice"),
         env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}/creds"}),
]

ROWS: list[tuple[str, str, str, str]] = []


@pytest.fixture(scope="module")
def world(moto, tmp_path_factory):
    """moto with signature checking on, users alice..dave (keys) and roles RoleA..SsoRole, the
    SSO portal handing out a SsoRole session, the container endpoint serving a RoleB session, the
    credential_process script for dave and the web identity token file."""
    moto.reset()
    iam = moto.boto3_client("iam")
    subst = {}
    for u in USERS:
        iam.create_user(UserName=u)
        k = iam.create_access_key(UserName=u)["AccessKey"]
        iam.put_user_policy(UserName=u, PolicyName="all", PolicyDocument=ALLOW_ALL)
        subst[f"{u}_id"], subst[f"{u}_secret"] = k["AccessKeyId"], k["SecretAccessKey"]
    for r in ROLES:
        iam.create_role(RoleName=r, AssumeRolePolicyDocument=TRUST)
        iam.put_role_policy(RoleName=r, PolicyName="all", PolicyDocument=ALLOW_ALL)
        subst[r] = role_arn(r)
    sso_creds = moto.boto3_client("sts").assume_role(
        RoleArn=role_arn("SsoRole"), RoleSessionName="sso-user",
        DurationSeconds=3600)["Credentials"]
    shared = tmp_path_factory.mktemp("oracle")
    proc = shared / "proc_dave.py"
    proc.write_text("import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': %r, "
                    "'SecretAccessKey': %r}))\n" % (subst["dave_id"], subst["dave_secret"]))
    subst["proc_dave"] = f"{sys.executable} {proc}"
    token_file = shared / "web-token"
    token_file.write_text(WEB_TOKEN + "\n")
    subst["token_file"] = str(token_file)
    subst["start_url"] = START_URL
    portal = SsoPortal(SSO_TOKEN, {(ACCOUNT, "SsoRole")}, sso_creds)
    container = ContainerEndpoint(moto.boto3_client("sts").assume_role(
        RoleArn=role_arn("RoleB"), RoleSessionName="container",
        DurationSeconds=3600)["Credentials"])
    subst["container"] = container.url
    moto.set_auth("0")
    try:
        yield moto, portal, subst
    finally:
        moto.set_auth("inf")
        portal.stop()
        container.stop()
        write_table()


def write_table():
    lines = ["| case | botocore | ours | note |", "|---|---|---|---|"]
    for case, theirs, ours, note in ROWS:
        lines.append(f"| {case} | {theirs} | {ours} | {note} |")
    text = "\n".join(lines) + "\n"
    out_dir = Path(os.environ.get("SECUREAPI_LOG_DIR") or build_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "resolution_oracle.md").write_text(text)
    sys.__stdout__.write("\n" + text)


def clean_env(home, moto_url, portal_url, extra):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
         "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1,localhost",
         "AWS_REGION": "ap-southeast-1", "AWS_DEFAULT_REGION": "ap-southeast-1",
         "AWS_ENDPOINT_URL": moto_url, "AWS_ENDPOINT_URL_SSO": portal_url}
    e.update(extra)
    return e


def short(answer):
    if "arn" in answer:
        return normalize(answer["arn"]).split(":", 5)[-1]
    return "refused: " + answer["refused"].replace("|", "/").replace("\n", " ")[:110]


def run_botocore(env, profile):
    p = subprocess.run([sys.executable, "-c", BOTOCORE_SCRIPT, profile or ""], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.stdout.strip(), p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_ours(probe_bin, env, profile):
    args = [str(probe_bin), "--service", "sts", "--op", "GetCallerIdentity"]
    if profile:
        args += ["--profile", profile]
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    if out.get("ok"):
        return {"arn": out["body"].split("<Arn>")[1].split("</Arn>")[0]}
    return {"refused": out.get("error", p.stderr)}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_same_identity_as_botocore(world, probe_bin, tmp_path, case):
    moto, portal, subst = world
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    s = dict(subst, elsewhere=str(elsewhere))
    for key, path in (("config", home / ".aws" / "config"),
                      ("credentials", home / ".aws" / "credentials"),
                      ("elsewhere_config", elsewhere / "config"),
                      ("elsewhere_credentials", elsewhere / "credentials")):
        if case.get(key) is not None:
            path.write_text(case[key].format(**s))
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)
    if case.get("legacy_sso"):
        write_token_cache(home, START_URL, SSO_TOKEN, expires, None)
    else:
        write_token_cache(home, START_URL, SSO_TOKEN, expires, "corp")
    env = clean_env(home, moto.url, portal.url,
                    {k: v.format(**s) for k, v in case.get("env", {}).items()})
    theirs = run_botocore(env, case.get("profile"))
    ours = run_ours(probe_bin, env, case.get("profile"))
    deviation = case.get("deviation")
    ROWS.append((case["id"], short(theirs), short(ours),
                 ("deviation: " + deviation[1]) if deviation else ""))
    if deviation:
        assert short(ours).startswith(deviation[0]), (ours, theirs)
        assert theirs != ours, "botocore now agrees: drop the deviation"
        return
    if "refused" in theirs:
        assert "refused" in ours, (theirs, ours)
    else:
        assert "arn" in ours, (theirs, ours)
        assert normalize(ours["arn"]) == normalize(theirs["arn"]), (theirs, ours)
