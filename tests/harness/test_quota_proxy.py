"""The quota proxy (harness/quota_proxy.py) between boto3 and moto, on a fake clock: a second
DeleteRestApi within 30 s gets API Gateway's exact 429 (status, x-amzn-ErrorType, body; botocore
parses it into TooManyRequestsException "Too Many Requests") and goes through once the clock has
moved 30 s; buckets are per account and per operation class (another account, or CreateRestApi,
is unaffected); the total control-plane bucket (10 rps, burst 40) holds across classes; scale=10
allows ten times the rate; KMS's sixth CreateKey in a second gets KMS's ThrottlingException and
IAM is not limited; the 429s are counted per class. No test sleeps."""
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.quota_proxy import RATES, QuotaProxy

REGION = "ap-southeast-1"
# botocore reads retries["max_attempts"] as retries after the first try; total_max_attempts=1
# is one attempt, no retry
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def quota(aws, clock):
    """A quota proxy in front of the session's validating proxy (so requests are still checked
    against the models), at AWS's rates."""
    p = QuotaProxy(aws.url, clock=clock, accounts={"AKIAIOSFODNN7EXAMPLE": "123456789012",
                                                    "AKIAOTHERACCOUNT0001": "210987654321"})
    yield p
    p.stop()


def client(url: str, service: str, key: str = "AKIAIOSFODNN7EXAMPLE"):
    return boto3.client(service, region_name=REGION, endpoint_url=url, config=NO_RETRIES,
                        aws_access_key_id=key,
                        aws_secret_access_key="moto-test-secret-key-not-real")


def regional_api(apigw, name: str) -> str:
    return apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})["id"]


def test_second_delete_rest_api_within_30_s_gets_api_gateways_429(aws, quota, clock):
    direct = aws.boto3_client("apigateway")  # not through the quota proxy
    ids = [regional_api(direct, f"api{i}") for i in range(2)]
    apigw = client(quota.url, "apigateway")
    apigw.delete_rest_api(restApiId=ids[0])
    clock.advance(29.9)
    with pytest.raises(ClientError) as e:
        apigw.delete_rest_api(restApiId=ids[1])
    err = e.value.response
    assert err["Error"]["Code"] == "TooManyRequestsException"
    assert err["Error"]["Message"] == "Too Many Requests"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert quota.throttled == {("apigateway", "DeleteRestApi"): 1}
    clock.advance(0.1)  # 30 s after the first
    apigw.delete_rest_api(restApiId=ids[1])
    assert [a["id"] for a in direct.get_rest_apis()["items"]] == []
    assert quota.allowed[("apigateway", "DeleteRestApi")] == 2
    assert quota.report() == "apigateway DeleteRestApi: 2 allowed, 1 throttled"


def test_the_429_is_byte_for_byte_api_gateways(quota, clock):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", quota.port, timeout=10)
    auth = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/ap-southeast-1/"
            "apigateway/aws4_request, SignedHeaders=host, Signature=0")
    for expected in (None, 429):
        c.request("DELETE", "/restapis/nope", headers={"Authorization": auth})
        r = c.getresponse()
        body = r.read()
        if expected:
            assert r.status == 429
            assert r.getheader("x-amzn-ErrorType") == "TooManyRequestsException"
            assert r.getheader("Content-Type") == "application/json"
            assert json.loads(body) == {"message": "Too Many Requests"}
    c.close()


def test_buckets_are_per_account_and_per_class(aws, quota, clock):
    direct = aws.boto3_client("apigateway")
    ids = [regional_api(direct, f"api{i}") for i in range(2)]
    apigw = client(quota.url, "apigateway")
    apigw.delete_rest_api(restApiId=ids[0])
    with pytest.raises(ClientError) as e:
        apigw.delete_rest_api(restApiId=ids[1])
    assert e.value.response["Error"]["Code"] == "TooManyRequestsException"
    # another class: CreateRestApi (regional, 1 per 3 s) and GetResources are unaffected
    new = regional_api(apigw, "another-class")
    assert apigw.get_resources(restApiId=new)["items"]
    # another account: its own DeleteRestApi bucket (moto answers, not the proxy)
    other = client(quota.url, "apigateway", key="AKIAOTHERACCOUNT0001")
    with pytest.raises(ClientError) as e:
        other.delete_rest_api(restApiId="doesnotexist")
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    # another region of the same account: its own bucket too
    west = boto3.client("apigateway", region_name="us-west-2", endpoint_url=quota.url,
                        config=NO_RETRIES, aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                        aws_secret_access_key="moto-test-secret-key-not-real")
    with pytest.raises(ClientError) as e:
        west.delete_rest_api(restApiId="doesnotexist")
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    assert quota.throttled == {("apigateway", "DeleteRestApi"): 1}
    # a second regional CreateRestApi within 3 s is refused; after 3 s it is not
    with pytest.raises(ClientError):
        regional_api(apigw, "too-soon")
    clock.advance(3)
    regional_api(apigw, "in-time")
    assert quota.throttled[("apigateway", "CreateRestApi (regional or private)")] == 1


def test_edge_optimized_create_rest_api_is_1_per_30_s(quota, clock):
    apigw = client(quota.url, "apigateway")
    apigw.create_rest_api(name="edge1")  # no endpointConfiguration: edge-optimized
    clock.advance(29)
    with pytest.raises(ClientError) as e:
        apigw.create_rest_api(name="edge2")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert quota.throttled == {("apigateway", "CreateRestApi (edge-optimized)"): 1}


def test_total_control_plane_bucket_holds_across_classes(quota, clock):
    apigw = client(quota.url, "apigateway")
    refused = 0
    for _ in range(41):  # GetRestApis has no quota of its own: only the total, burst 40
        try:
            apigw.get_rest_apis()
        except ClientError as e:
            assert e.response["Error"]["Code"] == "TooManyRequestsException"
            refused += 1
    assert refused == 1
    assert quota.throttled == {("apigateway", "*"): 1}
    clock.advance(0.1)  # 10 rps: one token back
    apigw.get_rest_apis()


def test_scale_10_allows_ten_times_the_rate(aws, clock):
    direct = aws.boto3_client("apigateway")
    ids = [regional_api(direct, f"api{i}") for i in range(11)]
    fast = QuotaProxy(aws.url, clock=clock, scale=10)
    try:
        apigw = client(fast.url, "apigateway")
        for i in range(10):  # ten deletes in 30 s: one every 3 s
            apigw.delete_rest_api(restApiId=ids[i])
            clock.advance(3)
        clock.advance(-0.1)  # 29.9 s after the tenth
        with pytest.raises(ClientError):
            apigw.delete_rest_api(restApiId=ids[10])
        clock.advance(0.1)
        apigw.delete_rest_api(restApiId=ids[10])
        assert fast.allowed[("apigateway", "DeleteRestApi")] == 11
        assert fast.throttled[("apigateway", "DeleteRestApi")] == 1
    finally:
        fast.stop()


def test_kms_create_key_over_five_a_second_and_lambda_throttles_with_retry_after(quota, clock):
    iam = client(quota.url, "iam")
    for _ in range(30):  # IAM publishes no request rates: never limited
        iam.list_roles()
    assert not quota.throttled
    kms = client(quota.url, "kms")
    for _ in range(5):  # KMS CreateKey: 5 requests per second
        kms.create_key()
    with pytest.raises(ClientError) as e:
        kms.create_key()
    err = e.value.response
    assert err["Error"]["Code"] == "ThrottlingException"
    assert err["Error"]["Message"].startswith("You have exceeded the rate at which you may call KMS")
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    kms.list_keys()  # another operation: its own quota
    clock.advance(0.2)
    kms.create_key()  # a fifth of a second later: one more token
    assert quota.throttled == {("kms", "CreateKey"): 1}
    quota.throttled.clear()
    lam = client(quota.url, "lambda")
    for _ in range(15):  # the control plane's 15 rps
        lam.list_functions()
    with pytest.raises(ClientError) as e:
        lam.list_functions()
    err = e.value.response
    assert err["Error"]["Code"] == "TooManyRequestsException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert quota.throttled == {("lambda", "control plane"): 1}


def test_every_apigateway_rate_row_cites_the_quotas_page():
    for (service, _), rate in RATES.items():
        assert rate.source.startswith("https://docs.aws.amazon.com/")
        assert rate.count > 0 and rate.period > 0 and rate.burst >= 1
