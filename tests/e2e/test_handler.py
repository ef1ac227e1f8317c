"""The default Lambda handler (provider/handler/index.js), run with Node.js on API Gateway proxy
events since moto cannot invoke functions: root GET and a {proxy+} path with another method
answer 200 with the documented JSON fields and headers; a handler error answers a JSON 500
without leaking the cause."""
import json
import subprocess
from pathlib import Path

import pytest

HANDLER = Path(__file__).resolve().parents[2] / "provider" / "stack" / "handler" / "index.js"

RUNNER = """
// the handler's log lines go to stderr here, so stdout holds only the response
console.log = (...a) => process.stderr.write(a.join(' ') + '\\n');
const h = require(process.argv[1]);
process.env.ENVIRONMENT_SUFFIX = 'e2e';
const event = JSON.parse(process.argv[2]);
h.handler(event, { awsRequestId: 'req-1' }).then(r => process.stdout.write(JSON.stringify(r)));
"""


def invoke(event):
    r = subprocess.run(["node", "-e", RUNNER, str(HANDLER), json.dumps(event)],
                       capture_output=True, text=True, timeout=30, check=True)
    return json.loads(r.stdout), r.stderr


def proxy_event(method, path, resource):
    return {"resource": resource, "path": path, "httpMethod": method, "headers": {},
            "queryStringParameters": None, "pathParameters": {"proxy": path.lstrip("/")} if
            resource != "/" else None, "body": None, "isBase64Encoded": False,
            "requestContext": {"stage": "prod", "requestId": "r"}}


@pytest.mark.parametrize("method,path,resource", [("GET", "/", "/"),
                                                  ("POST", "/orders/42", "/{proxy+}"),
                                                  ("DELETE", "/a/b/c", "/{proxy+}")])
def test_success(method, path, resource):
    r, _ = invoke(proxy_event(method, path, resource))
    assert r["statusCode"] == 200
    assert r["headers"]["Content-Type"] == "application/json"
    assert r["headers"]["X-Content-Type-Options"] == "nosniff"
    body = json.loads(r["body"])
    assert body["message"] and body["environment"] == "e2e"
    assert body["path"] == path and body["method"] == method
    assert body["timestamp"].endswith("Z")


def test_error_is_a_json_500():
    r, logs = invoke(None)
    assert r["statusCode"] == 500
    assert r["headers"]["Content-Type"] == "application/json"
    body = json.loads(r["body"])
    assert body == {"message": "Internal server error", "requestId": "req-1"}
    # the cause goes to the log (the log group, in Lambda), not to the caller
    assert "expected an API Gateway proxy event" in logs
    assert "expected an API Gateway proxy event" not in r["body"]
