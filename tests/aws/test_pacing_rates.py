"""The plugin's pacing table (provider/aws/pacing.c, printed by `aws_probe --rates`) agrees with
the quota proxy's (tests/harness/quota_proxy.py RATES), which enforces AWS's rates in the
harness: every row of the plugin's is the proxy's row of the same service and class with the same
count, period, burst and AWS page; every class the proxy limits for an operation the stack calls
is paced; services the proxy leaves unlimited are not paced."""
import json
import subprocess

from harness.quota_proxy import RATES, UNLIMITED

# the API Gateway operations the stack calls that have a quota of their own (provider/stack/apigw.c)
APIGW_CALLED = {"CreateDeployment", "CreateResource", "CreateRestApi (regional or private)",
                "DeleteRestApi", "GetResources"}
# the KMS operations the stack calls (provider/stack/kms.c), each with its own published quota
KMS_CALLED = {"CreateAlias", "CreateKey", "DeleteAlias", "DescribeKey", "DisableKeyRotation",
              "EnableKeyRotation", "GetKeyRotationStatus", "ListAliases", "ListResourceTags",
              "ScheduleKeyDeletion", "TagResource", "UntagResource", "UpdateAlias"}


def plugin_rates(probe_bin):
    out = subprocess.run([str(probe_bin), "--rates"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_plugin_rates_match_the_quota_proxy(probe_bin):
    rows = plugin_rates(probe_bin)
    assert rows, "the plugin paces nothing"
    for row in rows:
        key = (row["service"], row["label"])
        assert key in RATES, f"{key} is paced by the plugin but not enforced by the quota proxy"
        r = RATES[key]
        assert (row["count"], row["period"], row["burst"], row["source"]) == \
            (r.count, r.period, r.burst, r.source), key
    labels = {(row["service"], row["label"]) for row in rows}
    wanted = {("apigateway", "*"), ("lambda", "GetFunction"), ("lambda", "GetPolicy"),
              ("lambda", "control plane"), ("logs", "CreateLogGroup")} | \
        {("apigateway", op) for op in APIGW_CALLED} | {("kms", op) for op in KMS_CALLED}
    assert wanted <= labels, wanted - labels
    for service in UNLIMITED:
        assert service not in {row["service"] for row in rows}, service
