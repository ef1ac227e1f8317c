"""A small vendored helper package of the example's function: builds the API Gateway proxy
integration responses (status code, JSON headers, JSON body) that app.py returns."""
import json

JSON_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def json_response(status_code, body):
    """An API Gateway proxy response carrying `body` as JSON."""
    return {"statusCode": status_code, "headers": dict(JSON_HEADERS),
            "body": json.dumps(body, sort_keys=True)}


def error_response(status_code, message, request_id=None):
    """A JSON error response that names no internal cause."""
    return json_response(status_code, {"error": message, "requestId": request_id})
