"""The Lambda handlers we ship, run on synthetic API Gateway proxy events since moto cannot invoke
functions: the default handler (provider/stack/handler/index.js) with Node.js, where root GET and
a {proxy+} path with another method answer 200 with the documented JSON fields and headers and a
handler error answers a JSON 500 without leaking the cause; and the examples' handlers, the very
files they deploy: the TypeScript example's handler/index.js and the YAML example's app/index.js
with Node.js, and the Python example's app.handler (with its vendored apiresponse package) with
python3, each answering root GET and a {proxy+} POST with 200, a JSON body and a JSON
Content-Type."""
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HANDLER = REPO / "provider" / "stack" / "handler" / "index.js"
EXAMPLES = REPO / "examples"

RUNNER = """
// the handler's log lines go to stderr here, so stdout holds only the response
console.log = (...a) => process.stderr.write(a.join(' ') + '\\n');
const h = require(process.argv[1]);
process.env.ENVIRONMENT_SUFFIX = 'e2e';
const event = JSON.parse(process.argv[2]);
h.handler(event, { awsRequestId: 'req-1' }).then(r => process.stdout.write(JSON.stringify(r)));
"""


def invoke(event, handler=HANDLER):
    r = subprocess.run(["node", "-e", RUNNER, str(handler), json.dumps(event)],
                       capture_output=True, text=True, timeout=30, check=True)
    return json.loads(r.stdout), r.stderr


def proxy_event(method, path, resource, body=None, query=None):
    return {"resource": resource, "path": path, "httpMethod": method,
            "headers": {"Content-Type": "application/json"} if body is not None else {},
            "queryStringParameters": query, "pathParameters": {"proxy": path.lstrip("/")} if
            resource != "/" else None, "body": body, "isBase64Encoded": False,
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


# ---- the examples' handlers -------------------------------------------------------------------
PY_RUNNER = """
import json, sys, types
sys.path.insert(0, sys.argv[1])   # the folder Lambda unpacks the package into
import app
context = types.SimpleNamespace(aws_request_id="req-1")
sys.stdout.write(json.dumps(app.handler(json.loads(sys.argv[2]), context)))
"""


def invoke_python(event):
    """Runs the Python example's app.handler as Lambda would: app/ on sys.path, handler(event,
    context); no bytecode is written into the example."""
    env = dict(os.environ, ENVIRONMENT_SUFFIX="e2e")
    r = subprocess.run(["python3", "-I", "-B", "-c", PY_RUNNER, str(EXAMPLES / "python" / "app"),
                        json.dumps(event)], capture_output=True, text=True, timeout=30,
                       check=True, env=env)
    return json.loads(r.stdout)


EXAMPLE_RUNS = {
    "typescript": lambda e: invoke(e, EXAMPLES / "typescript" / "handler" / "index.js")[0],
    "yaml": lambda e: invoke(e, EXAMPLES / "yaml" / "app" / "index.js")[0],
    "python": invoke_python,
}


def test_examples_deploy_these_handlers():
    """The files run below are the ones the examples deploy."""
    ts = (EXAMPLES / "typescript" / "index.ts").read_text()
    assert 'path.join(__dirname, "handler", "index.js")' in ts
    assert '"index.js": new pulumi.asset.StringAsset(code)' in ts
    assert 'pulumi.FileArchive("./app")' in (EXAMPLES / "python" / "__main__.py").read_text()
    assert 'lambda_handler="app.handler"' in (EXAMPLES / "python" / "__main__.py").read_text()
    assert "fn::fileArchive: ./app" in (EXAMPLES / "yaml" / "Pulumi.yaml").read_text()


@pytest.mark.parametrize("lang", ["typescript", "python", "yaml"])
def test_example_handler_root_get(lang):
    r = EXAMPLE_RUNS[lang](proxy_event("GET", "/", "/"))
    assert r["statusCode"] == 200, r
    assert r["headers"]["Content-Type"] == "application/json"
    body = json.loads(r["body"])
    assert body["path"] == "/" and body["method"] == "GET"
    assert body["environment"] == "e2e"


@pytest.mark.parametrize("lang", ["typescript", "python"])
def test_example_handler_proxy_post_echoes_the_json_body(lang):
    sent = {"order": 42, "items": ["a", "b"], "note": "ü"}
    r = EXAMPLE_RUNS[lang](proxy_event("POST", "/orders/42", "/{proxy+}", json.dumps(sent),
                                       {"dry": "1"}))
    assert r["statusCode"] == 200, r
    assert r["headers"]["Content-Type"] == "application/json"
    body = json.loads(r["body"])
    assert body["method"] == "POST" and body["path"] == "/orders/42"
    assert body["received"] == sent and body["query"] == {"dry": "1"}
    assert body["environment"] == "e2e" and body["requestId"] == "req-1"


@pytest.mark.parametrize("lang", ["typescript", "python"])
def test_example_handler_refuses_a_body_that_is_not_json(lang):
    r = EXAMPLE_RUNS[lang](proxy_event("POST", "/orders", "/{proxy+}", "{not json"))
    assert r["statusCode"] == 400, r
    assert r["headers"]["Content-Type"] == "application/json"
    assert json.loads(r["body"])["error"] == "the request body is not JSON"


def test_yaml_example_handler_greets_by_name():
    r = EXAMPLE_RUNS["yaml"](proxy_event("POST", "/hello", "/{proxy+}", query={"name": "Ada"}))
    assert r["statusCode"] == 200 and r["headers"]["Content-Type"] == "application/json"
    body = json.loads(r["body"])
    assert body["greeting"] == "Hello, Ada!" and body["method"] == "POST"
    assert body["path"] == "/hello"
