"""The validating proxy in front of moto: every SigV4-signed request is checked against the
botocore model of its service (harness/aws_model.py) before it reaches moto. A request real AWS
would refuse is recorded, and answered as AWS answers an invalid request (HTTP 400 with the
service's validation error) instead of being passed on; unsigned requests (moto's /moto-api) pass
unchecked.

SECUREAPI_AWS_VALIDATION (or the `mode` argument) chooses: "enforce" (the default), "record"
(record, but pass the request on: moto answers as before; for diagnosis), "off" (no checking).

Every violation of every proxy in the process goes to RECORDER, where the test fixture
(conftest.py) finds those made during a test, and from which each session's totals are written.
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from harness.aws_model import Checked, ModelIndex, Violation
from harness.http_proxy import ForwardingProxy, Reply, Request, aws_error

MODE_ENV = "SECUREAPI_AWS_VALIDATION"
MODES = ("enforce", "record", "off")
SUMMARY = "aws requests validated against the botocore models"

# the code each service answers an invalid request with (the JSON protocols' generic
# ValidationException, the Query protocol's ValidationError, Lambda's and API Gateway's own)
REFUSAL = {"json": "ValidationException", "query": "ValidationError"}
REST_REFUSAL = {"Lambda": "InvalidParameterValueException", "API Gateway": "BadRequestException"}


def mode_from_env() -> str:
    mode = os.environ.get(MODE_ENV, "enforce") or "enforce"
    if mode not in MODES:
        raise ValueError(f"{MODE_ENV}={mode!r}: expected one of {', '.join(MODES)}")
    return mode


@dataclass
class Entry:
    violation: Violation
    request: str          # "POST /restapis/abc/resources"
    proxy: int            # id() of the proxy that saw it
    test: str = ""        # the test it was made in (set by the conftest fixture)
    claimed: bool = False  # taken by a test that made it on purpose


class Recorder:
    """Requests checked and violations found, by every validating proxy of this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.entries: list[Entry] = []

    def add(self, proxy: int, request: str, checked: Checked) -> None:
        with self.lock:
            self.requests += 1
            self.entries.extend(Entry(v, request, proxy) for v in checked.violations)

    def unreported(self, test: str) -> list[Entry]:
        """The violations no test has been told of nor taken, now attributed to `test`: those
        made during it, and any made by fixtures of a wider scope set up for it."""
        with self.lock:
            new = [e for e in self.entries if not e.claimed and not e.test]
            for e in new:
                e.test = test
            return new

    def take(self, proxy: int | None = None) -> list[Violation]:
        """Claims the violations not yet claimed (of one proxy): for tests that make them on
        purpose, so that the fixture does not fail them."""
        with self.lock:
            got = [e for e in self.entries if not e.claimed and proxy in (None, e.proxy)]
            for e in got:
                e.claimed = True
            return [e.violation for e in got]

    def totals(self) -> dict:
        with self.lock:
            real = [e for e in self.entries if not e.claimed]
            details = [{"test": e.test, "request": e.request, "service": e.violation.service,
                        "operation": e.violation.operation, "member": e.violation.member,
                        "rule": e.violation.rule} for e in real]
            return {"requests": self.requests, "violations": len(real), "details": details}

    def report(self) -> bool:
        """Prints every violation and the summary line (for programs outside pytest that start
        a MotoServer: the demo's moto, the benchmarks); True if there was none."""
        t = self.totals()
        for d in t["details"]:
            print(f"violation: {d['service']} {d['operation']}: {d['member']}: {d['rule']} "
                  f"({d['request']})", flush=True)
        print(f"{SUMMARY}: {t['requests']}, violations: {t['violations']}", flush=True)
        return t["violations"] == 0

    def write_totals(self, log_dir: Path, name: str) -> Path:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"aws-validation-{name}-{os.getpid()}.json"
        path.write_text(json.dumps(self.totals(), indent=1) + "\n")
        return path


RECORDER = Recorder()


class ValidatingProxy(ForwardingProxy):
    def __init__(self, upstream: str, mode: str | None = None, recorder: Recorder = RECORDER):
        self.mode = mode or mode_from_env()
        if self.mode not in MODES:
            raise ValueError(f"validation mode {self.mode!r}: expected one of {', '.join(MODES)}")
        self.recorder = recorder
        self.index = ModelIndex.shared() if self.mode != "off" else None
        super().__init__(upstream)

    def intercept(self, req: Request) -> Reply | None:
        if self.index is None:
            return None
        checked = self.index.check(req.method, req.target, req.header_map(), req.body)
        if checked is None:
            return None  # not signed: moto's own API
        self.recorder.add(id(self), f"{req.method} {req.target}", checked)
        if checked.violations and self.mode == "enforce":
            return refusal(checked)
        return None

    def take(self) -> list[Violation]:
        """This proxy's violations not yet claimed (see Recorder.take)."""
        return self.recorder.take(id(self))


def refusal(checked: Checked) -> Reply:
    """AWS's answer to an invalid request (400), naming every violation."""
    n = len(checked.violations)
    message = (f"{n} validation error{'s' if n > 1 else ''} detected: "
               + "; ".join(f"{v.member}: {v.rule}" for v in checked.violations)
               + " (the test harness checked the request against the botocore model)")
    request_id = str(uuid.uuid4())
    if checked.protocol == "query":
        return aws_error(400, REFUSAL["query"], message, xml=True, request_id=request_id)
    if checked.protocol == "rest-json":
        code = REST_REFUSAL.get(checked.service, "BadRequestException")
        return aws_error(400, code, message, xml=False, request_id=request_id)
    return aws_error(400, REFUSAL["json"], message, xml=False, request_id=request_id,
                     content_type="application/x-amz-json-1.1")


def sum_totals(log_dir: Path) -> tuple[str, bool]:
    """The summary line over every session's totals in `log_dir`, and whether all is well (some
    requests were validated, none broke a model)."""
    requests = violations = 0
    for f in sorted(Path(log_dir).glob("aws-validation-*.json")):
        t = json.loads(f.read_text())
        requests += t["requests"]
        violations += t["violations"]
    line = f"{SUMMARY}: {requests}, violations: {violations}"
    if requests == 0:
        return line + " (something is wrong: no AWS request went through the validator)", False
    return line, violations == 0


def main(argv: list[str]) -> int:
    """`python -m harness.aws_validator LOG_DIR`: prints the summary line of the sessions whose
    totals are in LOG_DIR (tests/check.sh), then each violation; exits 1 unless all is well."""
    log_dir = Path(argv[1])
    line, ok = sum_totals(log_dir)
    print(line)
    tests: dict = {}  # each distinct violation -> the tests that made it
    for f in sorted(log_dir.glob("aws-validation-*.json")):
        for d in json.loads(f.read_text())["details"]:
            key = f"{d['service']} {d['operation']}: {d['member']}: {d['rule']}"
            tests.setdefault(key, []).append(d["test"] or "outside any test")
    for key, where in tests.items():
        print(f"  {key} ({len(where)} times in {len(set(where))} tests, e.g. {where[0]})")
    return 0 if ok else 1


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv))
