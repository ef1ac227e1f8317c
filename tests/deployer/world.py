"""The deployer suite's world: moto with its authentication on and two IAM users in it (the
deployer, whose requests the IAM policy enforcer checks, and the harness, whose requests go
straight to moto), the enforcer in front of moto, the deployer policy of docs/deployer-policy.json
for the test account, and the environment that signs the plugin's calls with the deployer's keys.
See harness/iam_enforcer.py for the split of work between moto and the enforcer."""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import boto3

from harness.iam_enforcer import Enforcer, EnforcerProxy, policy_for
from harness.stack_checks import ACCOUNT, REGION, everything

REPO = Path(__file__).resolve().parents[2]
POLICY_FILE = REPO / "docs" / "deployer-policy.json"
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def deployer_policy(name: str, region: str = REGION) -> dict:
    """docs/deployer-policy.json for the test account and region, for stacks whose resource is
    called `name` (its AWS names start with it)."""
    return policy_for(POLICY_FILE.read_text(), ACCOUNT, region, name)


def _signed_payload_hash(request, **_):
    """Signs the payload's hash as a header (x-amz-content-sha256), as the plugin does: moto
    rebuilds a REST request's body from its query parameters when it checks the signature, so
    botocore's GET and DELETE requests of REST services (Lambda ListFunctions, API Gateway
    GetRestApi, ...) fail its check unless the hash is given."""
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, (bytes, bytearray)):
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()


class Accounts:
    """The moto users of a test and what is done with the harness's keys."""

    def __init__(self, aws, deployer: dict, harness: dict):
        self.aws = aws
        self.deployer = deployer      # {"AccessKeyId", "SecretAccessKey"}
        self.harness = harness
        self._clients: dict = {}

    def client(self, service: str, region: str = REGION):
        """A boto3 client straight to moto, signed with the harness's keys."""
        key = (service, region)
        if key not in self._clients:
            c = boto3.client(service, region_name=region, endpoint_url=self.aws.url,
                             aws_access_key_id=self.harness["AccessKeyId"],
                             aws_secret_access_key=self.harness["SecretAccessKey"])
            c.meta.events.register("before-sign", _signed_payload_hash)
            self._clients[key] = c
        return self._clients[key]

    def boto3_client(self, service: str, region: str = REGION):
        return self.client(service, region)  # the shape harness.stack_checks expects

    def everything(self) -> dict:
        """harness.stack_checks.everything, asked with the harness's keys."""
        return everything(self)


@contextlib.contextmanager
def deployer_world(moto):
    """moto's authentication on, with the deployer and harness users (allow-all moto policies:
    moto's own policy check passes), and the IAM policy enforcer in front of moto applying the
    real policy: the deployer policy for stacks named "api" (the gRPC Stack's resource) until a
    test sets another. Yields (Accounts, Enforcer)."""
    iam = moto.boto3_client("iam")
    keys = {}
    for user in ("deployer", "harness"):
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="moto-allow-all", PolicyDocument=ALLOW_ALL)
        keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
    moto.set_auth("0")
    proxy = None
    try:
        accounts = Accounts(moto, keys["deployer"], keys["harness"])
        e = Enforcer(deployer_policy("api"), {keys["deployer"]["AccessKeyId"]: "deployer"},
                     admin_client=accounts.client)
        proxy = EnforcerProxy(moto.url, e)
        yield accounts, e
    finally:
        if proxy is not None:
            proxy.stop()
        moto.set_auth("inf")


def deployer_env(accounts: Accounts, endpoint: str) -> dict:
    return {"AWS_ACCESS_KEY_ID": accounts.deployer["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": accounts.deployer["SecretAccessKey"],
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true"}
