#!/usr/bin/env bash
# The README's test command: installs what is missing (Debian packages, the Python venv, the
# Go-built Pulumi CLI and language hosts), builds the plugin, then runs every suite: unit (C,
# cmocka via meson test), proto (conformance with Pulumi's descriptors), harness, rpc (the binary
# over real gRPC) and e2e (the real CLI against moto). Ends with one "N passed, N failed" line and
# exits non-zero on any failure. Usage: tests/check.sh [pytest args...]
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
START=$(date +%s)
source "$REPO/tests/tools/common.sh"
setup_toolchain || exit 1
build_plugin || exit 1
BUILD=$SECUREAPI_BUILD_DIR

RESULTS=$BUILD/test-results
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
export SECUREAPI_LOG_DIR=$RESULTS/logs

step "unit suite"
meson test -C "$BUILD" --suite unit --print-errorlogs
UNIT_RC=$?
cp "$BUILD/meson-logs/testlog.json" "$RESULTS/unit.json" 2>/dev/null

step "python suites: proto, harness, rpc, e2e"
"$VENV/bin/python" -m pytest -c tests/pytest.ini --rootdir tests \
    --junitxml="$RESULTS/pytest.xml" tests/proto tests/harness tests/rpc tests/e2e "$@"
PY_RC=$?

step "summary"
"$VENV/bin/python" - "$RESULTS" <<'PY'
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path
res = Path(sys.argv[1])
passed = failed = skipped = 0
for line in (res / "unit.json").read_text().splitlines() if (res / "unit.json").exists() else []:
    r = json.loads(line)
    if r["result"] == "OK": passed += 1
    elif r["result"] == "SKIP": skipped += 1
    else: failed += 1
if (res / "pytest.xml").exists():
    for s in ET.parse(res / "pytest.xml").getroot().iter("testsuite"):
        t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        failed += f + e; skipped += sk; passed += t - f - e - sk
else:
    failed += 1
print(f"total: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
echo "elapsed: $(( $(date +%s) - START ))s"
[ $UNIT_RC -eq 0 ] && [ $PY_RC -eq 0 ]
