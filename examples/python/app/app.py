"""The Python example's function (app.handler, python3.13), deployed from this folder with
pulumi.FileArchive("./app"). Behind API Gateway's AWS_PROXY integration it answers every route
with 200 and a JSON body echoing the method, path, query and JSON request body, with the stack's
environment; a body that is not JSON answers 400. The responses are built by the vendored
apiresponse package beside it."""
import base64
import json
import os

from apiresponse import error_response, json_response


def handler(event, context):
    request_id = getattr(context, "aws_request_id", None)
    body = event.get("body")
    payload = None
    if body:
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        try:
            payload = json.loads(body)
        except ValueError:
            return error_response(400, "the request body is not JSON", request_id)
    return json_response(200, {
        "message": "Hello from the secure API (Python example)",
        "method": event.get("httpMethod"),
        "path": event.get("path"),
        "query": event.get("queryStringParameters") or {},
        "received": payload,
        "environment": os.environ.get("ENVIRONMENT_SUFFIX", "unknown"),
        "requestId": request_id,
    })
