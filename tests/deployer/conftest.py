"""Fixtures of the deployer suite: moto with its authentication on and two IAM users in it (the
deployer, whose requests the IAM policy enforcer checks, and the harness, whose requests go
straight to moto), the enforcer in front of moto, and the plugin signed with the deployer's
keys. See harness/iam_enforcer.py for the split of work between moto and the enforcer."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import boto3
import pytest
from pulumi.runtime.proto import provider_pb2

from harness.iam_enforcer import Enforcer, EnforcerProxy, policy_for
from harness.plugin import Plugin, struct
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


@pytest.fixture
def world(aws):
    """A deployer world of its own for one test (moto reset before it)."""
    with deployer_world(aws) as w:
        yield w


@pytest.fixture(scope="module")
def shared_world(moto):
    """One deployer world for a whole module (moto reset once): for tests that each use stacks
    of their own (their own environmentSuffix) and set the policy and clear the records first."""
    moto.reset()
    with deployer_world(moto) as w:
        yield w


@pytest.fixture
def accounts(world):
    return world[0]


@pytest.fixture
def enforcer(world):
    return world[1]


def deployer_env(accounts: Accounts, endpoint: str) -> dict:
    return {"AWS_ACCESS_KEY_ID": accounts.deployer["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": accounts.deployer["SecretAccessKey"],
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true"}


def start_plugin(plugin_bin, engine, tmp_path, accounts: Accounts, endpoint: str) -> Plugin:
    """The plugin signed with the deployer's keys, every AWS call to `endpoint` (the enforcer),
    configured as the engine configures it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(deployer_env(accounts, endpoint))
    p = Plugin(plugin_bin, engine=engine, env=env, stderr_path=tmp_path / "plugin.stderr")
    p.stub.Configure(provider_pb2.ConfigureRequest(args=struct({}), acceptSecrets=True,
                                                   acceptResources=True))
    return p


@pytest.fixture
def deployer_plugin(plugin_bin, engine, tmp_path, accounts, enforcer):
    p = start_plugin(plugin_bin, engine, tmp_path, accounts, enforcer.url)
    yield p
    p.close()
