"""A loopback proxy that makes moto page like AWS does on a busy account: the answers of the list
operations the plugin relies on are cut into pages of `page_size` items, each page but the last
carrying the next-page token in the member and shape the service's model names (KMS NextMarker
and Truncated, IAM Marker and IsTruncated, the Tagging API's PaginationToken, CloudWatch Logs'
nextToken, API Gateway's position). moto itself answers everything in one page, so without this
a plugin that reads only the first page passes every test. The proxy is stateless: a request
with one of its tokens is passed on without the token (and without the page-size parameter),
and the page the token names is cut from moto's whole answer. `pages` counts the pages served
per operation ("kms ListAliases", "tagging GetResources", "apigateway GetRestApis", ...).

Put it behind a validating proxy (harness/aws_validator.py) so the plugin's own requests, tokens
included, are checked against the models: plugin -> ValidatingProxy -> PagingProxy -> moto."""
from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass

from harness.http_proxy import ForwardingProxy, Reply, Request

TOKEN_PREFIX = "secureapi-page:"


def _token(offset: int) -> str:
    return base64.b64encode(f"{TOKEN_PREFIX}{offset}".encode()).decode()


def _offset(token: str | None) -> int | None:
    if not token:
        return None
    try:
        text = base64.b64decode(token, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return int(text[len(TOKEN_PREFIX):]) if text.startswith(TOKEN_PREFIX) else None


@dataclass(frozen=True)
class _Json:
    """A JSON-protocol list: the service, the X-Amz-Target, the request's token and page-size
    members, the answer's list member, next token and (KMS) truncation flag."""
    service: str
    target: str
    token: str
    limit: str
    items: str
    next_token: str
    truncated: str | None = None
    last_token: str | None = None  # the Tagging API ends with an empty token, not none


JSON_LISTS = [
    _Json("kms", "TrentService.ListAliases", "Marker", "Limit", "Aliases", "NextMarker", "Truncated"),
    _Json("kms", "TrentService.ListKeys", "Marker", "Limit", "Keys", "NextMarker", "Truncated"),
    _Json("kms", "TrentService.ListResourceTags", "Marker", "Limit", "Tags", "NextMarker", "Truncated"),
    _Json("tagging", "ResourceGroupsTaggingAPI_20170126.GetResources", "PaginationToken", "ResourcesPerPage",
          "ResourceTagMappingList", "PaginationToken", last_token=""),
    _Json("logs", "Logs_20140328.DescribeLogGroups", "nextToken", "limit", "logGroups", "nextToken"),
]

# IAM (Query protocol): Action -> the element of the result that holds the list
IAM_LISTS = {
    "ListRoleTags": "Tags",
    "ListRolePolicies": "PolicyNames",
    "ListAttachedRolePolicies": "AttachedPolicies",
    "ListRoles": "Roles",
}

# API Gateway (REST): GET paths whose answers page with `position`
APIGW_LISTS = {
    "GetRestApis": re.compile(r"/restapis"),
    "GetResources": re.compile(r"/restapis/[^/]+/resources"),
}


class PagingProxy(ForwardingProxy):
    def __init__(self, upstream: str, page_size: int = 1):
        self.page_size = page_size
        self.pages: Counter = Counter()
        self.lock = threading.Lock()
        self._local = threading.local()
        super().__init__(upstream)

    # ---- requests: note the page asked for, pass on without our token ----
    def intercept(self, req: Request) -> Reply | None:
        self._local.list = None
        target = req.header("X-Amz-Target")
        spec = next((j for j in JSON_LISTS if j.target == target), None)
        if spec is not None:
            body = json.loads(req.body or b"{}")
            offset = _offset(body.pop(spec.token, None))
            body.pop(spec.limit, None)
            self._set_body(req, json.dumps(body).encode())
            self._local.list = (spec, offset or 0)
            return None
        if req.body.startswith(b"Action="):
            params = urllib.parse.parse_qs(req.body.decode(), keep_blank_values=True)
            action = params.get("Action", [""])[0]
            if action in IAM_LISTS:
                offset = _offset(params.pop("Marker", [None])[0])
                params.pop("MaxItems", None)
                self._set_body(req, urllib.parse.urlencode(params, doseq=True).encode())
                self._local.list = (action, offset or 0)
            return None
        path, _, query = req.target.partition("?")
        op = next((op for op, rx in APIGW_LISTS.items()
                   if req.method == "GET" and rx.fullmatch(path)), None)
        if op is not None:
            q = urllib.parse.parse_qs(query, keep_blank_values=True)
            offset = _offset(q.pop("position", [None])[0])
            q.pop("limit", None)
            req.target = path + ("?" + urllib.parse.urlencode(q, doseq=True) if q else "")
            self._local.list = (op, offset or 0)
        return None

    @staticmethod
    def _set_body(req: Request, body: bytes) -> None:
        req.body = body
        req.headers = [(k, v) for k, v in req.headers if k.lower() != "content-length"]
        req.headers.append(("Content-Length", str(len(body))))

    # ---- answers: cut the page ----
    def rewrite(self, req: Request, reply: Reply) -> Reply:
        listed = self._local.list
        if listed is None or reply.status != 200:
            return reply
        what, offset = listed
        n = self.page_size
        if isinstance(what, _Json):
            doc = json.loads(reply.body)
            items = doc.get(what.items, [])
            doc[what.items] = items[offset:offset + n]
            more = offset + n < len(items)
            doc.pop(what.next_token, None)
            if more:
                doc[what.next_token] = _token(offset + n)
            elif what.last_token is not None:
                doc[what.next_token] = what.last_token
            if what.truncated:
                doc[what.truncated] = more
            body, name = json.dumps(doc).encode(), f"{what.service} {what.target.split('.')[-1]}"
        elif what in IAM_LISTS:
            body, more = self._iam_page(reply.body, what, offset)
            name = f"iam {what}"
        else:
            doc = json.loads(reply.body)
            items = doc.get("item", [])
            doc["item"] = items[offset:offset + n]
            more = offset + n < len(items)
            doc.pop("position", None)
            if more:
                doc["position"] = _token(offset + n)
            body, name = json.dumps(doc).encode(), f"apigateway {what}"
        with self.lock:
            self.pages[name] += 1
        headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
        return Reply(reply.status, headers, body, reply.reason)

    def _iam_page(self, body: bytes, action: str, offset: int) -> tuple[bytes, bool]:
        root = ET.fromstring(body)
        uri = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
        ET.register_namespace("", uri)
        q = (lambda tag: f"{{{uri}}}{tag}") if uri else (lambda tag: tag)
        result = root.find(q(f"{action}Result"))
        holder = result.find(q(IAM_LISTS[action]))
        members = list(holder) if holder is not None else []
        for m in members:
            holder.remove(m)
        for m in members[offset:offset + self.page_size]:
            holder.append(m)
        more = offset + self.page_size < len(members)
        for tag in ("IsTruncated", "Marker"):
            for old in result.findall(q(tag)):
                result.remove(old)
        ET.SubElement(result, q("IsTruncated")).text = "true" if more else "false"
        if more:
            ET.SubElement(result, q("Marker")).text = _token(offset + self.page_size)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True), more
