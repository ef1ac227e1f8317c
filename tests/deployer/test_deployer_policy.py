"""The deployer policy (docs/deployer-policy.json) is enough, and nothing in it is unused.

moto's authentication is on and the IAM policy enforcer (harness/iam_enforcer.py) stands between
the plugin and moto, applying the policy to every request signed with the deployer's keys.

- With exactly the policy, the real CLI deploys, refreshes, updates and destroys examples/yaml
  with no request refused and nothing left behind.
- With exactly the policy, the gRPC scenario (deployer/scenario.py: it also takes the paths the
  CLI lifecycle does not, adoption after a lost state, drift repair, every kind of in-place
  update) runs to the end, no request is refused, and every action of every statement allowed at
  least one request.
- Through the CLI, a missing action (iam:PassRole) is reported by `pulumi up` with the action and
  the operation, and once the policy is fixed `pulumi up` finishes the stack.
The policy minus each one of its actions is test_minus_one_action.py."""
from __future__ import annotations

import shutil
from pathlib import Path

from harness.iam_enforcer import policy_actions, without

from .world import deployer_env, deployer_policy
from .scenario import STEPS, exercise

REPO = Path(__file__).resolve().parents[2]


def test_policy_is_enough_and_every_action_is_used(deployer_plugin, accounts, enforcer):
    assert len(exercise(deployer_plugin, accounts, "dep", accounts.everything)) == STEPS
    assert enforcer.denials == [], enforcer.denials
    left = accounts.everything()
    assert left == {k: [] for k in left}, left
    # every (statement, action) of the policy allowed at least one request
    used = {(r.sid, r.action) for r in enforcer.records if r.decision == "Allow"}
    unused = [pair for pair in policy_actions(enforcer.policy) if pair not in used]
    assert unused == [], f"granted but never needed: {unused}"


# ---- the real CLI --------------------------------------------------------------------------------


def cli_project(pulumi, accounts, enforcer, plugin_bin, tmp_path):
    proj = tmp_path / "yaml"
    shutil.copytree(REPO / "examples" / "yaml", proj)
    env = dict(deployer_env(accounts, enforcer.url),
               PATH=f"{plugin_bin.parent}:{pulumi.env['PATH']}")

    def run(*args, check=True):
        return pulumi.run(*args, cwd=proj, env=env, check=check)
    run("stack", "init", "deployer")
    run("config", "set", "environmentSuffix", "deployer")
    return proj, run


def test_cli_lifecycle_with_exactly_the_policy(pulumi, aws, accounts, enforcer, plugin_bin,
                                               tmp_path):
    enforcer.set_policy(deployer_policy("secure-api-stack"))
    proj, run = cli_project(pulumi, accounts, enforcer, plugin_bin, tmp_path)
    run("up", "--yes", "--skip-preview")
    run("refresh", "--yes", "--expect-no-changes")
    for f in (proj / "step2").iterdir():
        shutil.copy(f, proj / f.name)
    run("up", "--yes", "--skip-preview")
    run("refresh", "--yes", "--expect-no-changes")
    run("destroy", "--yes", "--skip-preview")
    assert enforcer.denials == [], enforcer.denials
    assert enforcer.records, "no request went through the enforcer"
    left = accounts.everything()
    assert left == {k: [] for k in left}, left


def test_cli_reports_a_missing_action_then_finishes(pulumi, aws, accounts, enforcer, plugin_bin,
                                                    tmp_path):
    full = deployer_policy("secure-api-stack")
    enforcer.set_policy(without(full, "IamPassOwnRolesToLambdaOnly", "iam:PassRole"))
    proj, run = cli_project(pulumi, accounts, enforcer, plugin_bin, tmp_path)
    r = run("up", "--yes", "--skip-preview", check=False)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "Lambda CreateFunction: AccessDeniedException: User: arn:aws:iam::123456789012:" \
           "user/deployer is not authorized to perform: iam:PassRole on resource: " \
           "arn:aws:iam::123456789012:role/secure-api-stack-deployer-role-" in out, out
    assert [d.action for d in enforcer.denials] == ["iam:PassRole"]
    enforcer.set_policy(full)
    enforcer.clear()
    run("up", "--yes", "--skip-preview")
    run("refresh", "--yes", "--expect-no-changes")
    run("destroy", "--yes", "--skip-preview")
    assert enforcer.denials == []
    left = accounts.everything()
    assert left == {k: [] for k in left}, left
