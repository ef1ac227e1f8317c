"""The deployer policy minus any one of its actions (one test per statement and action) makes the
gRPC scenario (deployer/scenario.py) fail at the first operation that needs the action, with an
error naming the action and the AWS operation, e.g.

    creating secureapi:index:SecureApiStack: KMS CreateKey: AccessDeniedException: User:
    arn:aws:iam::123456789012:user/deployer is not authorized to perform: kms:CreateKey because
    no identity-based policy allows the kms:CreateKey action (HTTP 400, ...)

and nothing the failed step made is missing from the state the plugin answered. Two actions are
different, and the tests say how: without kms:PutKeyPolicy, KMS's key policy lockout check refuses
CreateKey with MalformedPolicyDocumentException (AWS's message names the operation, not the
action); without tag:GetResources nothing fails, but the stack that lost its state makes a second
KMS key and the first is left behind (which is what the permission is for).

The tests share one moto and one enforcer (resetting moto and making the IAM users costs about
2 s a test); each uses a stack of its own (its own environmentSuffix, so its own names and
ownership tag) and lists only that stack's objects. Where each action shows (the step and the
message) is recorded in the JUnit report's properties."""
from __future__ import annotations

import pytest

from harness.iam_enforcer import LOCKOUT_MESSAGE, policy_actions, without

from .world import deployer_env, deployer_policy
from .scenario import STEPS, StepFailed, exercise, names_of, stack_objects

PAIRS = policy_actions(deployer_policy("api"))


@pytest.fixture
def case(shared_world, configured_plugin):
    accounts, enforcer = shared_world
    enforcer.clear()
    p = configured_plugin(deployer_env(accounts, enforcer.url))
    yield accounts, enforcer, p
    enforcer.set_policy(deployer_policy("api"))


@pytest.mark.parametrize("sid,action", PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_policy_minus_one_action_fails_naming_it(case, sid, action, request):
    accounts, enforcer, plugin = case
    suffix = f"m{PAIRS.index((sid, action)):02d}"
    names = names_of(plugin, suffix)
    enforcer.set_policy(without(deployer_policy("api"), sid, action))

    def listing():
        return stack_objects(accounts, names)

    if action == "tag:GetResources":
        # the plugin goes on without it: the stack that lost its state finds no key of its own
        # to adopt, makes a second one, and the first is left behind, enabled
        assert len(exercise(plugin, accounts, suffix, listing)) == STEPS
        assert {r.action for r in enforcer.denials} == {"tag:GetResources"}
        left = listing()
        assert len(left["kms keys"]) == 1, left
        assert {k: v for k, v in left.items() if k != "kms keys"} == {
            k: [] for k in left if k != "kms keys"}, left
        request.node.user_properties.append(
            ("failed_step", "(none: a second key is made, the first is left)"))
        return
    with pytest.raises(StepFailed) as ei:
        exercise(plugin, accounts, suffix, listing)
    failed = ei.value
    denial = enforcer.denials[0]
    # in the JUnit report: where each missing action shows, and how
    request.node.user_properties += [("failed_step", failed.step), ("error", failed.message)]
    assert denial.action == action, (denial, failed)
    message = failed.message
    assert denial.operation in message, (denial.operation, message)
    if action == "kms:PutKeyPolicy":
        # KMS's key policy lockout safety check: AWS's answer names the operation, not the action
        assert denial.decision == "Lockout"
        assert f"KMS CreateKey: MalformedPolicyDocumentException: {LOCKOUT_MESSAGE}" in message
    else:
        assert f"is not authorized to perform: {action}" in message, message
        assert "AccessDenied" in message, message
