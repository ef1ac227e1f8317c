"""Many stacks in one plugin process against AWS's request quotas: eight SecureApiStacks are
created at once, then deleted at once, through the quota proxy (harness/quota_proxy.py: AWS's
published per-account rates, AWS's exact throttling answers) chained in front of the session's
validating proxy and moto. The plugin paces its calls by the same rates (aws/pacing.c), so every
stack succeeds, at most 5% of the calls are throttled, nothing is left in moto, and the long
waits are shown as progress on the waiting stacks. The proxy's
rates and the plugin's are scaled by the same factor (SECUREAPI_QUOTA_SCALE, default 10, so the
run takes about a minute instead of several; 1 is AWS's real rates). The plugin's retry budgets
are not scaled: at a scale above 1 they are generous, so a plugin without pacing mostly still
succeeds there, but with several times the 429s this test allows."""
import os
import threading
import time

import grpc
import pytest

from harness.quota_proxy import QuotaProxy
from harness.resource import TYPE, Stack
from harness.stack_checks import REGION, everything

STACKS = 8
SCALE = float(os.environ.get("SECUREAPI_QUOTA_SCALE", "10"))
MAX_THROTTLED = 0.05


@pytest.fixture
def quota(aws):
    p = QuotaProxy(aws.url, scale=SCALE)  # aws.url: the session's validating proxy
    yield p
    p.stop()


def in_parallel(stacks, action):
    """Runs action(stack) for every stack at once; returns {index: error text} of the failures."""
    failures = {}

    def run(i, s):
        try:
            action(s)
        except grpc.RpcError as e:
            failures[i] = f"{e.code().name}: {e.details()}"

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(stacks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=1800)
    return failures


def totals(quota):
    calls = sum(quota.allowed.values()) + sum(quota.throttled.values())
    return calls, sum(quota.throttled.values())


def test_many_stacks_within_aws_quotas(configured_plugin, engine, aws, quota):
    plugin = configured_plugin({**aws.client_env(REGION), "AWS_ENDPOINT_URL": quota.url},
                               {"apiRateScale": str(SCALE)})
    stacks = [Stack(plugin, f"urn:pulumi:dev::proj::{TYPE}::api{i}") for i in range(STACKS)]

    t0 = time.monotonic()
    failed = in_parallel(stacks, lambda s: s.create({"environmentSuffix": f"q{s.urn[-1]}"}))
    up = time.monotonic() - t0
    up_calls, up_throttled = totals(quota)
    print(f"\n{STACKS} creates at scale {SCALE:g}: {up:.1f}s, {up_calls} calls, "
          f"{up_throttled} throttled\n{quota.report()}")
    assert failed == {}, failed

    t0 = time.monotonic()
    failed = in_parallel(stacks, Stack.delete)
    down = time.monotonic() - t0
    calls, throttled = totals(quota)
    print(f"{STACKS} deletes: {down:.1f}s, {calls - up_calls} calls, "
          f"{throttled - up_throttled} throttled\n{quota.report()}")
    assert failed == {}, failed
    # DeleteRestApi's quota alone makes the deletes take (STACKS - 1) turns
    assert down >= (STACKS - 1) * 30 / SCALE * 0.95
    assert throttled <= MAX_THROTTLED * calls, \
        f"{throttled} of {calls} calls throttled (at most {MAX_THROTTLED:.0%} allowed)"
    assert everything(aws) == {k: [] for k in everything(aws)}
    # the long waits were shown as progress on the stacks waiting
    waits = [l for l in engine.logs if "turn under AWS's request quota" in l.message]
    assert any("API Gateway DeleteRestApi" in l.message for l in waits), engine.logs
    assert all(l.ephemeral and l.urn.startswith("urn:pulumi:dev::proj::") for l in waits)
