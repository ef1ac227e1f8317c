"""A quota-enforcing proxy on loopback between the plugin and moto: it reads each request's
account (the SigV4 access key, through `accounts`), region and service (the credential scope),
names its operation class (API Gateway from method and path, JSON services from X-Amz-Target,
Query services from Action), and keeps one token bucket per (account, region, service, class) at
the rates AWS publishes (the RATES table below, each row with its source). A request that finds
its bucket empty is answered as the service answers it (API Gateway and Lambda HTTP 429
TooManyRequestsException, KMS and Logs HTTP 400 ThrottlingException, IAM and STS HTTP 400
Throttling XML) and counted in `throttled` per class; the others take a token and go through
(`allowed`). The clock is a callable (`clock`, default time.monotonic) so tests advance a fake
one instead of sleeping. `scale` multiplies every rate (bucket sizes stay as AWS has them): a run
with scale=10 sees quotas ten times as generous, so the plugin's retry budgets (its backoff and
its deadlines) must be scaled down by the same factor, or the run proves nothing about pacing.
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass

from harness.http_proxy import ForwardingProxy, Reply, Request, aws_error

APIGW_QUOTAS = "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html"
LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
KMS_QUOTAS = "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html"
LOGS_QUOTAS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html"


@dataclass(frozen=True)
class Rate:
    """`count` requests every `period` seconds, at most `burst` at once (a token bucket)."""
    count: float
    period: float
    burst: float
    source: str

    @property
    def per_second(self) -> float:
        return self.count / self.period


# (service, operation class) -> its rate. API Gateway: "API Gateway quotas for creating,
# deploying and managing an API", per account (and Region), fixed ("can't be increased").
# Every API Gateway control-plane request also takes from ("apigateway", "*"): the page's
# "Total operations: 10 requests per second with a burst limit of 40 requests per second";
# operations the page does not name have no quota of their own beyond that total.
RATES: dict[tuple[str, str], Rate] = {
    ("apigateway", "*"):                         Rate(10, 1, 40, APIGW_QUOTAS),
    ("apigateway", "CreateApiKey"):              Rate(5, 1, 5, APIGW_QUOTAS),
    ("apigateway", "CreateDeployment"):          Rate(1, 5, 1, APIGW_QUOTAS),
    ("apigateway", "CreateDocumentationVersion"): Rate(1, 20, 1, APIGW_QUOTAS),
    ("apigateway", "CreateDomainName"):          Rate(1, 30, 1, APIGW_QUOTAS),
    ("apigateway", "CreateResource"):            Rate(5, 1, 5, APIGW_QUOTAS),
    ("apigateway", "CreateRestApi (regional or private)"): Rate(1, 3, 1, APIGW_QUOTAS),
    ("apigateway", "CreateRestApi (edge-optimized)"): Rate(1, 30, 1, APIGW_QUOTAS),
    ("apigateway", "DeleteApiKey"):              Rate(5, 1, 5, APIGW_QUOTAS),
    ("apigateway", "DeleteDomainName"):          Rate(1, 30, 1, APIGW_QUOTAS),
    ("apigateway", "DeleteResource"):            Rate(5, 1, 5, APIGW_QUOTAS),
    ("apigateway", "DeleteRestApi"):             Rate(1, 30, 1, APIGW_QUOTAS),
    ("apigateway", "GetResources"):              Rate(5, 2, 5, APIGW_QUOTAS),
    ("apigateway", "ImportDocumentationParts"):  Rate(1, 30, 1, APIGW_QUOTAS),
    ("apigateway", "ImportRestApi (regional or private)"): Rate(1, 3, 1, APIGW_QUOTAS),
    ("apigateway", "ImportRestApi (edge-optimized)"): Rate(1, 30, 1, APIGW_QUOTAS),
    ("apigateway", "PutRestApi"):                Rate(1, 1, 1, APIGW_QUOTAS),
    ("apigateway", "UpdateAccount"):             Rate(1, 20, 1, APIGW_QUOTAS),
    ("apigateway", "UpdateDomainName"):          Rate(1, 30, 1, APIGW_QUOTAS),
    ("apigateway", "UpdateUsagePlan"):           Rate(1, 20, 1, APIGW_QUOTAS),
    # Lambda quotas page, "Lambda API requests": GetFunction 100 rps, GetPolicy 15 rps, the
    # remainder of the control plane (not invocation, GetFunction, GetPolicy) 15 rps together;
    # none can be increased. The page gives no burst: one second's worth is assumed.
    ("lambda", "GetFunction"):                   Rate(100, 1, 100, LAMBDA_QUOTAS),
    ("lambda", "GetPolicy"):                     Rate(15, 1, 15, LAMBDA_QUOTAS),
    ("lambda", "control plane"):                 Rate(15, 1, 15, LAMBDA_QUOTAS),
    # KMS "Request quotas for each AWS KMS API operation" (requests per second, per account and
    # Region, each operation its own quota): the management operations, not the cryptographic
    # ones (shared, per key type). No burst is given: one second's worth is assumed.
    ("kms", "CancelKeyDeletion"):                Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "CreateAlias"):                      Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "CreateGrant"):                      Rate(50, 1, 50, KMS_QUOTAS),
    ("kms", "CreateKey"):                        Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "DeleteAlias"):                      Rate(15, 1, 15, KMS_QUOTAS),
    ("kms", "DescribeKey"):                      Rate(2000, 1, 2000, KMS_QUOTAS),
    ("kms", "DisableKey"):                       Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "DisableKeyRotation"):               Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "EnableKey"):                        Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "EnableKeyRotation"):                Rate(15, 1, 15, KMS_QUOTAS),
    ("kms", "GetKeyPolicy"):                     Rate(1000, 1, 1000, KMS_QUOTAS),
    ("kms", "GetKeyRotationStatus"):             Rate(1000, 1, 1000, KMS_QUOTAS),
    ("kms", "ListAliases"):                      Rate(500, 1, 500, KMS_QUOTAS),
    ("kms", "ListKeys"):                         Rate(500, 1, 500, KMS_QUOTAS),
    ("kms", "ListResourceTags"):                 Rate(2000, 1, 2000, KMS_QUOTAS),
    ("kms", "PutKeyPolicy"):                     Rate(15, 1, 15, KMS_QUOTAS),
    ("kms", "ScheduleKeyDeletion"):              Rate(15, 1, 15, KMS_QUOTAS),
    ("kms", "TagResource"):                      Rate(10, 1, 10, KMS_QUOTAS),
    ("kms", "UntagResource"):                    Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "UpdateAlias"):                      Rate(5, 1, 5, KMS_QUOTAS),
    ("kms", "UpdateKeyDescription"):             Rate(5, 1, 5, KMS_QUOTAS),
    # CloudWatch Logs quotas page: CreateLogGroup, 10 transactions per second per account and
    # Region. The stack's other Logs operations have no row of their own on the page as read
    # here: they are not limited.
    ("logs", "CreateLogGroup"):                  Rate(10, 1, 10, LOGS_QUOTAS),
}

# Services with no per-operation rates in RATES: their requests are never limited.
#   iam, sts: unpublished (the IAM and STS quotas page lists no request rates): not limited.
UNLIMITED = {"iam": "unpublished: not limited", "sts": "unpublished: not limited"}

_APIGW_ROUTES = [  # (method, path pattern, operation); the first match wins
    ("POST", r"/apikeys", "CreateApiKey"),
    ("DELETE", r"/apikeys/[^/]+", "DeleteApiKey"),
    ("POST", r"/restapis/[^/]+/deployments", "CreateDeployment"),
    ("POST", r"/restapis/[^/]+/documentation/versions", "CreateDocumentationVersion"),
    ("PUT", r"/restapis/[^/]+/documentation/parts", "ImportDocumentationParts"),
    ("POST", r"/domainnames", "CreateDomainName"),
    ("DELETE", r"/domainnames/[^/]+", "DeleteDomainName"),
    ("PATCH", r"/domainnames/[^/]+", "UpdateDomainName"),
    ("POST", r"/restapis/[^/]+/resources/[^/]+", "CreateResource"),
    ("DELETE", r"/restapis/[^/]+/resources/[^/]+", "DeleteResource"),
    ("GET", r"/restapis/[^/]+/resources", "GetResources"),
    ("DELETE", r"/restapis/[^/]+", "DeleteRestApi"),
    ("PUT", r"/restapis/[^/]+", "PutRestApi"),
    ("POST", r"/restapis", "CreateRestApi"),  # ?mode=import is ImportRestApi
    ("PATCH", r"/account", "UpdateAccount"),
    ("PATCH", r"/usageplans/[^/]+", "UpdateUsagePlan"),
]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class _Bucket:
    def __init__(self, rate: Rate, scale: float, now: float):
        self.per_second = rate.per_second * scale
        self.burst = rate.burst
        self.tokens = rate.burst
        self.last = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.per_second)
        self.last = now

    def full_enough(self) -> bool:
        return self.tokens >= 1 - 1e-9


class QuotaProxy(ForwardingProxy):
    def __init__(self, upstream: str, *, scale: float = 1.0, clock=time.monotonic,
                 accounts: dict[str, str] | None = None, rates: dict | None = None):
        self.scale = scale
        self.clock = clock
        self.accounts = accounts or {}  # access key id -> account id; else the key stands for one
        self.rates = RATES if rates is None else rates
        self.buckets: dict[tuple, _Bucket] = {}
        self.throttled: Counter = Counter()  # (service, class) -> requests refused
        self.allowed: Counter = Counter()    # (service, class) -> requests passed on
        self.lock = threading.Lock()
        super().__init__(upstream)

    # ---- what a request is ---------------------------------------------------------------------
    def identify(self, req: Request) -> tuple[str, str, str, str]:
        """(account, region, service, operation) of a signed request."""
        m = _CREDENTIAL.search(req.header("Authorization"))
        key, region, service = m.groups() if m else ("", "", "")
        account = self.accounts.get(key, key)
        target = req.header("X-Amz-Target")
        if target:
            return account, region, service, target.split(".")[-1]
        if req.body.startswith(b"Action=") or "Action=" in req.query:
            form = urllib.parse.parse_qs(req.body.decode() if req.body else req.query)
            return account, region, service, form.get("Action", [""])[0]
        if service == "apigateway":
            return account, region, service, self._apigw_operation(req)
        return account, region, service, f"{req.method} {urllib.parse.unquote(req.path)}"

    @staticmethod
    def _apigw_operation(req: Request) -> str:
        path = urllib.parse.unquote(req.path)
        for method, pattern, op in _APIGW_ROUTES:
            if req.method == method and re.fullmatch(pattern, path):
                if op == "CreateRestApi":
                    query = urllib.parse.parse_qs(req.query)
                    if query.get("mode") == ["import"]:
                        return "ImportRestApi (edge-optimized)"  # endpointConfigurationTypes
                    try:
                        types = json.loads(req.body or b"{}").get("endpointConfiguration", {})
                        types = types.get("types", [])
                    except (ValueError, AttributeError):
                        types = []
                    # without endpointConfiguration a REST API is edge-optimized
                    regional = bool(types) and "EDGE" not in types
                    return f"CreateRestApi ({'regional or private' if regional else 'edge-optimized'})"
                return op
        return f"{req.method} {path}"

    def classes(self, service: str, operation: str) -> list[str]:
        """The buckets a request of this operation takes a token from."""
        if service == "apigateway":
            own = [operation] if (service, operation) in self.rates else []
            return own + (["*"] if (service, "*") in self.rates else [])
        if service == "lambda":
            if operation.startswith("POST /2015-03-31/functions/") and \
                    operation.endswith("/invocations"):
                return []
            if re.fullmatch(r"GET /20\d\d-\d\d-\d\d/functions/[^/]+", operation):
                return ["GetFunction"]
            if re.fullmatch(r"GET /20\d\d-\d\d-\d\d/functions/[^/]+/policy", operation):
                return ["GetPolicy"]
            return ["control plane"] if (service, "control plane") in self.rates else []
        return [operation] if (service, operation) in self.rates else []

    # ---- the proxy -------------------------------------------------------------------------------
    def intercept(self, req: Request) -> Reply | None:
        account, region, service, operation = self.identify(req)
        classes = self.classes(service, operation)
        now = self.clock()
        with self.lock:
            buckets = []
            for cls in classes:
                key = (account, region, service, cls)
                if key not in self.buckets:
                    self.buckets[key] = _Bucket(self.rates[(service, cls)], self.scale, now)
                bucket = self.buckets[key]
                bucket.refill(now)
                buckets.append((cls, bucket))
            empty = next((cls for cls, b in buckets if not b.full_enough()), None)
            label = classes[0] if classes else operation
            if empty is not None:
                self.throttled[(service, empty)] += 1
                return self.refusal(service, buckets)
            for _, b in buckets:
                b.tokens -= 1
            self.allowed[(service, label)] += 1
        return None

    def refusal(self, service: str, buckets: list) -> Reply:
        """The service's own answer to a request over its rate."""
        if service == "apigateway":
            # API Gateway's 429: x-amzn-ErrorType and {"message": "Too Many Requests"}, no __type.
            # Its model binds TooManyRequestsException.retryAfterSeconds to Retry-After, but
            # whether the control plane sends one is not documented: none is sent here.
            return Reply(429, [("Content-Type", "application/json"),
                               ("x-amzn-RequestId", "quota-proxy"),
                               ("x-amzn-ErrorType", "TooManyRequestsException")],
                         json.dumps({"message": "Too Many Requests"}).encode())
        if service == "lambda":
            wait = max((1 - b.tokens) / b.per_second for _, b in buckets)
            return Reply(429, [("Content-Type", "application/json"),
                               ("x-amzn-RequestId", "quota-proxy"),
                               ("x-amzn-ErrorType", "TooManyRequestsException"),
                               ("Retry-After", str(max(1, round(wait))))],
                         json.dumps({"Reason": "CallerRateLimitExceeded", "Type": "User",
                                     "message": "Rate exceeded"}).encode())
        if service == "kms":
            # the KMS developer guide's throttling example ("Throttling AWS KMS requests")
            return aws_error(400, "ThrottlingException",
                             "You have exceeded the rate at which you may call KMS. Reduce the "
                             "frequency of your calls.", xml=False, request_id="quota-proxy",
                             content_type="application/x-amz-json-1.1")
        if service in ("iam", "sts"):
            return aws_error(400, "Throttling", "Rate exceeded", xml=True,
                             request_id="quota-proxy")
        return aws_error(400, "ThrottlingException", "Rate exceeded", xml=False,
                         request_id="quota-proxy", content_type="application/x-amz-json-1.1")

    def report(self) -> str:
        """One line per class: allowed and throttled counts."""
        keys = sorted(set(self.allowed) | set(self.throttled))
        return "\n".join(f"{s} {c}: {self.allowed[(s, c)]} allowed, {self.throttled[(s, c)]} "
                         f"throttled" for s, c in keys)
