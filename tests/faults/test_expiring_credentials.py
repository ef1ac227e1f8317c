"""Temporary credentials that reach their refresh point in the middle of a Create: a
credential_process helper hands out a first session that enters the client's refresh window
(5 minutes before expiry) 2 s after it was issued, and a one-hour session after that; the fault
proxy holds CreateRole for 4 s so the Create is still running when the first session is due. The
helper must run exactly twice (the first session, then one refresh for the whole stack, although
several steps run in parallel and each wanted fresh credentials), requests of the Create must be
signed with both sessions (the refresh happened mid-create, not before it), and the stack must be
complete. The helper's clock and one 4 s hold at the proxy make the crossing certain; the client
is not asked to wait for wall-clock minutes."""
from __future__ import annotations

import re
import sys
import time

from harness.fault_proxy import Fault, FaultProxy
from harness.resource import Stack
from harness.stack_checks import check_stack_in_moto

FIRST = "ASIAFIRSTSESSION0001"
SECOND = "ASIASECONDSESSION002"

HELPER = """
import datetime, json, pathlib, sys
count = pathlib.Path(sys.argv[1])
n = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(n))
now = datetime.datetime.now(datetime.timezone.utc)
# the first session enters the 300 s refresh window 2 s from now; later ones last an hour
ttl = 302 if n == 1 else 3600
print(json.dumps({"Version": 1, "AccessKeyId": sys.argv[2] if n == 1 else sys.argv[3],
                  "SecretAccessKey": "secret-of-session-%d" % n, "SessionToken": "token-%d" % n,
                  "Expiration": (now + datetime.timedelta(seconds=ttl)).strftime(
                      "%Y-%m-%dT%H:%M:%SZ")}))
"""


class SigningRecorder(FaultProxy):
    """The fault proxy, also noting which access key signed each request."""

    def __init__(self, upstream: str):
        super().__init__(upstream)
        self.signed_by: list[tuple[str, str]] = []

    def intercept(self, req):
        m = re.search(r"Credential=([A-Z0-9]+)/", req.header("Authorization") or "")
        with self.lock:
            self.signed_by.append((req.method + " " + req.target, m.group(1) if m else ""))
        return super().intercept(req)


def test_credentials_due_mid_create_are_refreshed_once(configured_plugin, aws, tmp_path):
    proxy = SigningRecorder(aws.url)
    try:
        helper = tmp_path / "session.py"
        helper.write_text(HELPER)
        count = tmp_path / "runs"
        config = tmp_path / "config"
        config.write_text(f"[profile ci]\ncredential_process = {sys.executable} {helper} "
                          f"{count} {FIRST} {SECOND}\n")
        env = {k: v for k, v in aws.client_env().items()
               if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
        env.update({"AWS_ENDPOINT_URL": proxy.url, "AWS_CONFIG_FILE": str(config),
                    "AWS_PROFILE": "ci"})
        plugin = configured_plugin(env, {"skipCredentialsValidation": "true"})
        hold = proxy.inject(Fault("CreateRole", status=None, times=1,
                                  hook=lambda: time.sleep(4)))
        out = Stack(plugin).create({"environmentSuffix": "exp"})
        assert hold.hits == 1
        check_stack_in_moto(aws, out)
        assert count.read_text() == "2", f"the helper ran {count.read_text()} times, not twice"
        keys = [k for _, k in proxy.signed_by]
        assert FIRST in keys and SECOND in keys, proxy.signed_by
        assert set(keys) == {FIRST, SECOND}, proxy.signed_by
        # once the second session was in use, the first was not taken up again (a request of each
        # of the three parallel chains may have been signed just before the refresh)
        assert FIRST not in keys[keys.index(SECOND) + 3:], proxy.signed_by
    finally:
        proxy.stop()
