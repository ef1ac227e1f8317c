"""The lifecycle with moto checking every request's SigV4 signature (an implementation of AWS's
check independent of ours: botocore's), signed with an IAM user's keys made in moto: up, refresh
with no changes, the step2 update and destroy all pass; a wrong secret is refused with AWS's
SignatureDoesNotMatch, named in the error."""
import json
import shutil
from pathlib import Path

import pytest

from harness.stack_checks import everything

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def signed_aws(aws):
    iam = aws.boto3_client("iam")
    iam.create_user(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    aws.set_auth("0")
    try:
        yield key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        aws.set_auth("inf")


def test_lifecycle_with_signature_checking(pulumi, aws, signed_aws, plugin_bin, tmp_path):
    key_id, secret = signed_aws
    proj = tmp_path / "yaml"
    shutil.copytree(REPO / "examples" / "yaml", proj)
    env = {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret,
           "PATH": f"{plugin_bin.parent}:{pulumi.env['PATH']}"}
    run = lambda *a, **kw: pulumi.run(*a, cwd=proj, env=env, **kw)  # noqa: E731
    run("stack", "init", "signed")
    run("config", "set", "environmentSuffix", "signed")
    run("up", "--yes", "--skip-preview")
    run("refresh", "--yes", "--expect-no-changes")
    for f in (proj / "step2").iterdir():
        shutil.copy(f, proj / f.name)
    run("up", "--yes", "--skip-preview")

    bad = dict(env, AWS_SECRET_ACCESS_KEY="not-the-secret")
    r = pulumi.run("refresh", "--yes", cwd=proj, env=bad, check=False)
    assert r.returncode != 0
    assert "SignatureDoesNotMatch" in r.stdout + r.stderr

    run("destroy", "--yes", "--skip-preview")
    aws.set_auth("inf")
    left = everything(aws)
    assert left == {k: [] for k in left}, left
