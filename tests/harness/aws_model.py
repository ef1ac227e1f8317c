"""Checks one HTTP request against AWS's published service models (botocore's service-2.json):
which service (the SigV4 credential scope) and operation (X-Amz-Target for JSON 1.1, Action for
Query, method and requestUri template for REST-JSON) it is, its input rebuilt from the wire the
way each protocol puts it there (URI labels, query string, headers, JSON body by wire name, Query
parameters like Tags.member.1.Key), and that input validated against the operation's input shape:
unknown members, required members, types, min/max, enum and pattern. moto accepts much of what
this refuses; real AWS refuses it.

Conventions of the violations: list items are numbered from 1 (as on the Query wire and in AWS's
own messages: Tags[51] is the 51st tag), map entries are named by their key (tags['k']), and the
value of a member marked sensitive in the model is never shown.

Where AWS is known to accept what the model does not say, the check follows AWS: a trailing '/'
after a REST path, an empty JSON 1.1 body for an operation whose input is all optional.
Patterns are matched whole (as AWS's validation does, "Member must satisfy regular expression
pattern"), with the PyPI `regex` module for \\p{L} and friends and Java's ASCII meaning of \\w, \\d
and \\s.
"""
from __future__ import annotations

import base64
import binascii
import datetime
import difflib
import functools
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field

import regex

# SigV4 signing name (the credential scope's service) -> botocore's service name
SERVICES = {
    "kms": "kms",
    "logs": "logs",
    "iam": "iam",
    "sts": "sts",
    "lambda": "lambda",
    "apigateway": "apigateway",
    "tagging": "resourcegroupstaggingapi",
}

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_VALUE_SHOWN = 60  # characters of an offending value shown in a violation


@dataclass(frozen=True)
class Violation:
    service: str    # the model's service id: "KMS", "API Gateway", ...
    operation: str  # "CreateKey", or "?" when the request names none we know
    member: str     # "Tags[51]", "Environment.Variables['X']", "X-Amz-Target", ...
    rule: str       # "max 50 (got 51 items)", "required", "unknown member 'x'", ...

    def __str__(self) -> str:
        return f"{self.service} {self.operation}: {self.member}: {self.rule}"


@dataclass
class Checked:
    """The outcome for one signed request."""
    service: str
    operation: str
    protocol: str  # "json", "query", "rest-json", or "" when the service has no model here
    violations: list[Violation] = field(default_factory=list)


# ---- patterns ------------------------------------------------------------------------------------
_JAVA_CLASSES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}


@functools.lru_cache(maxsize=None)
def compiled_pattern(pattern: str):
    """The model's pattern (Java syntax) for the `regex` module: \\w, \\d and \\s keep Java's ASCII
    meaning (Python's are Unicode), while \\p{L}, \\p{Z}, \\p{N} stay Unicode."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            if e in _JAVA_CLASSES:
                out.append(_JAVA_CLASSES[e] if in_class else f"[{_JAVA_CLASSES[e]}]")
            else:
                out.append(c + e)
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class and out and out[-1] != "[":
            in_class = False
        out.append(c)
        i += 1
    return regex.compile("".join(out))


# ---- the models ----------------------------------------------------------------------------------
@dataclass
class _Route:
    operation: object      # botocore OperationModel
    method: str
    path: object           # compiled regex over the raw (percent-encoded) path
    labels: list           # label names in the template, in order; greedy ones end with '+'
    fixed_query: dict      # query-string parts of the requestUri ("?mode=import")
    literal: int           # characters outside labels: the more, the more specific


def _route(op) -> _Route:
    uri = op.http["requestUri"]
    path, _, query = uri.partition("?")
    fixed = dict(urllib.parse.parse_qsl(query, keep_blank_values=True)) if query else {}
    labels, parts, pos = [], [], 0
    for m in re.finditer(r"\{([^}]+)\}", path):
        parts.append(re.escape(path[pos:m.start()]))
        name = m.group(1)
        labels.append(name)
        parts.append("(.*)" if name.endswith("+") else "([^/]*)")
        pos = m.end()
    parts.append(re.escape(path[pos:].rstrip("/")))
    literal = len(re.sub(r"\{[^}]+\}", "", path))
    return _Route(op, op.http.get("method", "POST"), re.compile("".join(parts) + "/?"), labels,
                  fixed, literal)


class _Service:
    def __init__(self, model):
        self.model = model
        self.name = model.service_id
        self.protocol = self._protocol(model)
        self._routes = None
        self._lock = threading.Lock()

    @staticmethod
    def _protocol(model) -> str:
        # the protocol botocore's clients speak (botocore.utils' priority order), which is also
        # the one this project's plugin speaks: the tagging API lists rpc-v2-cbor first, then json
        protocols = model.metadata.get("protocols") or [model.metadata["protocol"]]
        for p in ("json", "rest-json", "query"):
            if p in protocols:
                return p
        return protocols[0]

    def routes(self) -> list[_Route]:
        with self._lock:
            if self._routes is None:
                self._routes = sorted((_route(self.model.operation_model(n))
                                       for n in self.model.operation_names),
                                      key=lambda r: (-len(r.fixed_query), -r.literal))
            return self._routes


class ModelIndex:
    """The botocore models of the services this project calls, loaded once per process."""

    _shared = None
    _shared_lock = threading.Lock()

    def __init__(self, services: dict | None = None):
        import botocore.session
        session = botocore.session.get_session()
        self.services = {signing: _Service(session.get_service_model(name))
                         for signing, name in (services or SERVICES).items()}

    @classmethod
    def shared(cls) -> "ModelIndex":
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def check(self, method: str, target: str, headers: dict, body: bytes) -> Checked | None:
        """Checks one request. `target` is the raw request target (path and query string),
        `headers` maps lower-case names to values. None: the request is not SigV4-signed (moto's
        own /moto-api, for one), so there is nothing to check it against."""
        path, _, query = target.partition("?")
        signing = signing_service(headers, query)
        if signing is None:
            return None
        svc = self.services.get(signing)
        if svc is None:
            return Checked(signing, "?", "", [Violation(
                signing, "?", "credential scope",
                f"service '{signing}' is not one this project calls "
                f"(models loaded: {', '.join(sorted(self.services))})")])
        wire = _Wire(svc, method, path, query, headers, body)
        return wire.check()


def signing_service(headers: dict, query: str) -> str | None:
    """The service of a SigV4 credential scope (Authorization header or presigned query)."""
    auth = headers.get("authorization", "")
    m = _CREDENTIAL.search(auth)
    if m is None and "X-Amz-Credential" in query:
        cred = dict(urllib.parse.parse_qsl(query)).get("X-Amz-Credential", "")
        m = _CREDENTIAL.search("Credential=" + cred)
    return m.group(2) if m else None


# ---- one request ---------------------------------------------------------------------------------
class _Wire:
    """Identifies the operation of one request, rebuilds its input from the wire and validates
    it; every problem becomes a Violation."""

    def __init__(self, svc: _Service, method, path, query, headers, body):
        self.svc, self.method, self.path, self.query = svc, method, path, query
        self.headers, self.body = headers, body
        self.op_name = "?"
        self.violations: list[Violation] = []

    def bad(self, member: str, rule: str) -> None:
        self.violations.append(Violation(self.svc.name, self.op_name, member, rule))

    def check(self) -> Checked:
        protocol = self.svc.protocol
        handler = {"json": self._json, "query": self._query, "rest-json": self._rest}.get(protocol)
        if handler is None:
            self.bad("protocol", f"protocol {protocol!r} is not checked")
        else:
            op, value = handler()
            if op is not None and op.input_shape is not None and value is not None:
                _Validate(self).structure(op.input_shape, value, "")
        return Checked(self.svc.name, self.op_name, protocol, _collapse(self.violations))

    # ---- JSON 1.1: X-Amz-Target, JSON body ----
    def _json(self):
        model = self.svc.model
        prefix = model.metadata["targetPrefix"]
        target = self.headers.get("x-amz-target", "")
        if not target:
            self.bad("X-Amz-Target", f"required (the JSON protocol names the operation "
                                     f"'{prefix}.<Operation>' there)")
            return None, None
        tprefix, _, name = target.rpartition(".")
        if name in model.operation_names:
            self.op_name = name
        if tprefix != prefix or name not in model.operation_names:
            self.bad("X-Amz-Target", f"unknown target {target!r} (expected '{prefix}.<Operation>' "
                                     f"with an operation of the model)")
            return None, None
        op = model.operation_model(name)
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        expected = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}"
        if ctype != expected:
            self.bad("Content-Type", f"must be {expected} (got {ctype or 'none'!r})")
        if self.method != "POST" or self.path not in ("/", ""):
            self.bad("request line", f"must be POST / (got {self.method} {self.path})")
        return op, self._json_body(op.input_shape, "body")

    def _json_doc(self, where: str):
        """The body as a JSON object, or None and a violation."""
        try:
            doc = json.loads(self.body)
        except ValueError as e:
            self.bad(where, f"not JSON ({e})")
            return None
        if not isinstance(doc, dict):
            self.bad(where, f"type: expected a JSON object, got JSON {_json_type(doc)}")
            return None
        return doc

    def _json_body(self, shape, where: str):
        if not self.body.strip():
            return {}  # AWS takes an empty body for {} (botocore sends {})
        doc = self._json_doc(where)
        if doc is None:
            return None
        if shape is None:
            if doc != {}:
                self.bad(where, "the operation has no input, but the body has some")
            return None
        return _FromJson(self).value(shape, doc, "")

    # ---- Query: Action, Version and flattened parameters in a form body ----
    def _query(self):
        model = self.svc.model
        params = urllib.parse.parse_qsl(self.query, keep_blank_values=True)
        if self.method == "POST":
            ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                self.bad("Content-Type", f"must be application/x-www-form-urlencoded "
                                         f"(got {ctype or 'none'!r})")
            try:
                params += urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True,
                                                 strict_parsing=bool(self.body))
            except (UnicodeDecodeError, ValueError) as e:
                self.bad("body", f"not a form ({e})")
                return None, None
        params = [(k, v) for k, v in params if not k.startswith("X-Amz-")]  # presigned auth
        action = [v for k, v in params if k == "Action"]
        if len(action) != 1 or action[0] not in model.operation_names:
            self.bad("Action", f"required, one operation of the model (got {action})")
            return None, None
        self.op_name = action[0]
        version = [v for k, v in params if k == "Version"]
        if version != [model.api_version]:
            self.bad("Version", f"must be {model.api_version} (got {version})")
        op = model.operation_model(self.op_name)
        rest = [(k, v) for k, v in params if k not in ("Action", "Version")]
        if op.input_shape is None:
            if rest:
                self.bad(rest[0][0], "unknown member (the operation has no input)")
            return op, None
        tree: dict = {}
        for k, v in rest:
            node = tree
            for part in k.split("."):
                node = node.setdefault(part, {})
            if "" in node:
                self.bad(k, "given twice")
            node[""] = v
        return op, _FromQuery(self).value(op.input_shape, tree, "")

    # ---- REST-JSON: method + requestUri, then URI labels, query string, headers, JSON body ----
    def _rest(self):
        route, labels = self._match()
        if route is None:
            return None, None
        op = route.operation
        self.op_name = op.name
        shape = op.input_shape
        if shape is None:
            if self.body.strip() not in (b"", b"{}"):
                self.bad("body", "the operation has no input, but the body has some")
            return op, None
        where: dict = {}
        for name, m in shape.members.items():
            where.setdefault(m.serialization.get("location"), {})[name] = m
        value: dict = {}
        self._rest_labels(labels, where.get("uri", {}), value)
        self._rest_query(route, where.get("querystring", {}), value)
        self._rest_headers(where.get("header", {}), where.get("headers", {}), value)
        self._rest_body(shape, where.get(None, {}), value)
        return op, value

    def _rest_labels(self, labels: dict, members: dict, value: dict) -> None:
        by_label = {m.serialization.get("name", n): n for n, m in members.items()}
        for label, raw in labels.items():
            name = by_label[label.rstrip("+")]
            text = urllib.parse.unquote(raw)
            if text == "":
                self.bad(name, f"required (URI label {{{label}}} is empty)")
            else:
                value[name] = _FromString(self).value(members[name], text, name)

    def _rest_query(self, route: _Route, members: dict, value: dict) -> None:
        conv = _FromString(self)
        by_key = {m.serialization.get("name", n): n for n, m in members.items()
                  if m.type_name != "map"}
        spare = next((n for n, m in members.items() if m.type_name == "map"), None)
        for key, text in urllib.parse.parse_qsl(self.query, keep_blank_values=True):
            if key in route.fixed_query or key.startswith("X-Amz-"):
                continue
            name = by_key.get(key)
            if name is None and spare is not None:  # a map takes the parameters nobody else does
                value.setdefault(spare, {})[key] = text
            elif name is None:
                self.bad(f"?{key}", _unknown(key, members).replace("member", "query parameter", 1))
            elif members[name].type_name == "list":
                items = value.setdefault(name, [])
                items.append(conv.value(members[name].member, text, f"{name}[{len(items) + 1}]"))
            elif name in value:
                self.bad(name, f"query parameter '{key}' given twice")
            else:
                value[name] = conv.value(members[name], text, name)

    def _rest_headers(self, members: dict, prefixed: dict, value: dict) -> None:
        conv = _FromString(self)
        for name, m in members.items():
            h = self.headers.get(m.serialization.get("name", name).lower())
            if h is None:
                continue
            if m.type_name == "list":
                value[name] = [conv.value(m.member, x.strip(), name) for x in h.split(",")]
            else:
                value[name] = conv.value(m, h, name)
        for name, m in prefixed.items():
            prefix = m.serialization.get("name", "").lower()
            found = {k[len(prefix):]: v for k, v in self.headers.items()
                     if prefix and k.startswith(prefix)}
            if found:
                value[name] = found

    def _rest_body(self, shape, members: dict, value: dict) -> None:
        payload = shape.serialization.get("payload")
        if payload is not None:  # one member is the whole body
            pm = shape.members[payload]
            if pm.type_name == "blob" and self.body:
                value[payload] = self.body
            elif pm.type_name == "string" and self.body:
                value[payload] = self.body.decode("utf-8", "replace")
            elif pm.type_name == "structure" and self.body.strip():
                got = self._json_body(pm, "body")
                if got is not None:
                    value[payload] = got
        elif not members:
            if self.body.strip() not in (b"", b"{}"):
                self.bad("body", "the operation takes no body members, but the body has "
                                 f"{self.body[:_VALUE_SHOWN]!r}")
        elif self.body.strip():
            doc = self._json_doc("body")
            if doc is not None:
                got = _FromJson(self, rest_body=True).value(shape, doc, "")
                value.update(got or {})

    def _match(self):
        """The operation whose method and requestUri template the request has: (route, labels),
        or (None, None) and a violation."""
        query_keys = dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))
        candidates = []
        for r in self.svc.routes():
            if r.method != self.method or any(k not in query_keys or v not in ("", query_keys[k])
                                              for k, v in r.fixed_query.items()):
                continue
            m = r.path.fullmatch(self.path)
            if m is not None:
                labels = dict(zip(r.labels, m.groups()))
                candidates.append((any(v == "" for v in labels.values()), r, labels))
        if not candidates:
            self.bad("request line", f"no operation of the model is {self.method} {self.path}"
                     + (f"?{self.query}" if self.query else ""))
            return None, None
        candidates.sort(key=lambda c: c[0])  # stable: no empty label first, then most specific
        return candidates[0][1], candidates[0][2]


def _unknown(key: str, members: dict, rest_body: bool = False) -> str:
    """The rule for a name that is none of `members` on the wire, with a hint at the one meant:
    a member whose wire name differs (locationName), one that goes elsewhere in a REST request,
    or one that differs only in case."""
    rule = f"unknown member '{key}'"
    if key in members:
        m = members[key]
        loc = m.serialization.get("location")
        if loc and rest_body:
            return rule + f" (it goes in the {loc}, as '{m.serialization.get('name', key)}')"
        return rule + f" (wire name is '{m.serialization.get('name', key)}')"
    wires = {m.serialization.get("name", n): m for n, m in members.items()}
    close = [w for w in wires if w.lower() == key.lower()] or \
        difflib.get_close_matches(key, list(wires), n=1, cutoff=0.75)
    if close:
        loc = wires[close[0]].serialization.get("location")
        if loc and rest_body:
            return rule + f" (it goes in the {loc}, as '{close[0]}')"
        return rule + f" (did you mean '{close[0]}'?)"
    return rule


def _show(shape, value) -> str:
    if shape.metadata.get("sensitive"):
        return "<sensitive>"
    if not isinstance(value, str):
        return repr(value)
    return repr(value if len(value) <= _VALUE_SHOWN else value[:_VALUE_SHOWN] + "...")


_TYPES = {"string": "string", "integer": "integer", "long": "integer", "boolean": "boolean",
          "double": "number", "float": "number", "timestamp": "timestamp", "blob": "blob",
          "list": "list", "map": "map", "structure": "structure"}


def _json_type(v) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object", type(None): "null"}.get(type(v), type(v).__name__)


# ---- wire decoders: each returns plain Python values keyed by member names -----------------------
class _FromJson:
    """A JSON document (JSON 1.1 body, REST-JSON body) against a shape."""

    def __init__(self, wire: _Wire, rest_body: bool = False):
        self.wire, self.rest_body = wire, rest_body

    def value(self, shape, v, path: str):
        t = shape.type_name
        if v is None:
            return None  # null: the same as absent, as AWS reads it
        if t == "structure":
            if shape.metadata.get("document"):
                return v
            if not isinstance(v, dict):
                return self._type(shape, v, path)
            out = {}
            wire_names = {}
            for name, m in shape.members.items():
                if path == "" and self.rest_body and "location" in m.serialization:
                    continue
                wire_names[m.serialization.get("name", name)] = name
            for key, item in v.items():
                name = wire_names.get(key)
                if name is None:
                    self.wire.bad(_join(path, key), _unknown(key, shape.members, self.rest_body))
                    continue
                got = self.value(shape.members[name], item, _join(path, name))
                if got is not None:
                    out[name] = got
            return out
        if t == "list":
            if not isinstance(v, list):
                return self._type(shape, v, path)
            return [self.value(shape.member, x, f"{path}[{i}]") for i, x in enumerate(v, 1)]
        if t == "map":
            if not isinstance(v, dict):
                return self._type(shape, v, path)
            return {k: self.value(shape.value, x, f"{path}[{k!r}]") for k, x in v.items()}
        if t == "string":
            return v if isinstance(v, str) else self._type(shape, v, path)
        if t in ("integer", "long"):
            if isinstance(v, int) and not isinstance(v, bool):
                return v
            return self._type(shape, v, path)
        if t == "boolean":
            return v if isinstance(v, bool) else self._type(shape, v, path)
        if t in ("double", "float"):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return v
            if v in ("NaN", "Infinity", "-Infinity"):
                return float(v)
            return self._type(shape, v, path)
        if t == "timestamp":
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return v
            if isinstance(v, str) and _parse_time(v) is not None:
                return v
            return self._type(shape, v, path)
        if t == "blob":
            if not isinstance(v, str):
                return self._type(shape, v, path)
            return _base64(self.wire, shape, v, path)
        return v

    def _type(self, shape, v, path):
        self.wire.bad(path, f"type: expected {_TYPES.get(shape.type_name, shape.type_name)}, "
                            f"got JSON {_json_type(v)}")
        return None


class _FromString:
    """A string from a URI label, the query string, a header or a Query parameter."""

    def __init__(self, wire: _Wire):
        self.wire = wire

    def value(self, shape, text: str, path: str):
        t = shape.type_name
        if t in ("integer", "long"):
            if re.fullmatch(r"-?[0-9]+", text):
                return int(text)
        elif t == "boolean":
            if text in ("true", "false"):
                return text == "true"
        elif t in ("double", "float"):
            try:
                return float(text)
            except ValueError:
                pass
        elif t == "timestamp":
            if _parse_time(text) is not None:
                return text
        elif t == "blob":
            return _base64(self.wire, shape, text, path)
        elif t == "string":
            return text
        else:
            self.wire.bad(path, f"type: expected {_TYPES.get(t, t)}, got a single value "
                                f"{_show(shape, text)}")
            return None
        self.wire.bad(path, f"type: expected {_TYPES.get(t, t)}, got {_show(shape, text)}")
        return None


class _FromQuery:
    """Query parameters, split on '.' into a tree, against a shape (botocore's QuerySerializer
    in reverse: lists as X.member.N or flattened X.N, maps as X.entry.N.key/value)."""

    def __init__(self, wire: _Wire):
        self.wire = wire
        self.strings = _FromString(wire)

    def value(self, shape, node: dict, path: str):
        t = shape.type_name
        children = {k: v for k, v in node.items() if k != ""}
        if t == "structure":
            if "" in node and node[""] != "":
                self.wire.bad(path, f"type: expected structure, got {_show(shape, node[''])}")
            out = {}
            wire_names = {m.serialization.get("name", n): n for n, m in shape.members.items()}
            for key, child in children.items():
                name = wire_names.get(key)
                if name is None:
                    self.wire.bad(_join(path, key), _unknown(key, shape.members))
                    continue
                got = self.value(shape.members[name], child, _join(path, name))
                if got is not None:
                    out[name] = got
            return out
        if t == "list":
            if node.get("") == "" and not children:
                return []  # the Query protocol's empty list
            if not shape.serialization.get("flattened"):
                item_name = shape.member.serialization.get("name", "member")
                if set(children) != {item_name}:
                    self.wire.bad(path, f"list items go in {path}.{item_name}.N "
                                        f"(got {', '.join(sorted(children)) or 'a single value'})")
                    return None
                children = {k: v for k, v in children[item_name].items() if k != ""}
            return [self.value(shape.member, child, f"{path}[{i}]")
                    for i, child in self._numbered(children, path)]
        if t == "map":
            if not shape.serialization.get("flattened"):
                if set(children) != {"entry"}:
                    self.wire.bad(path, f"map entries go in {path}.entry.N.key/value "
                                        f"(got {', '.join(sorted(children)) or 'a single value'})")
                    return None
                children = {k: v for k, v in children["entry"].items() if k != ""}
            kname = shape.key.serialization.get("name", "key")
            vname = shape.value.serialization.get("name", "value")
            out = {}
            for i, entry in self._numbered(children, path):
                if set(entry) - {kname, vname} or kname not in entry:
                    self.wire.bad(f"{path}.entry.{i}", f"needs {kname} and {vname} only "
                                                       f"(got {', '.join(sorted(entry))})")
                    continue
                k = self.strings.value(shape.key, entry[kname].get("", ""), f"{path}.entry.{i}")
                out[k] = self.value(shape.value, entry.get(vname, {"": ""}), f"{path}[{k!r}]")
            return out
        if children:
            self.wire.bad(_join(path, sorted(children)[0]), f"unknown member ({path} is a "
                                                            f"{t}, it has no members)")
            return None
        return self.strings.value(shape, node.get("", ""), path)

    def _numbered(self, children: dict, path: str):
        """(n, child) in order, checking they are numbered 1, 2, 3, ... with none missing."""
        try:
            items = sorted((int(k), v) for k, v in children.items())
        except ValueError:
            self.wire.bad(path, f"items must be numbered 1..N (got {', '.join(sorted(children))})")
            return []
        if [n for n, _ in items] != list(range(1, len(items) + 1)):
            self.wire.bad(path, f"items must be numbered 1..N without gaps "
                                f"(got {[n for n, _ in items][:10]})")
        return items


def _collapse(violations: list[Violation], keep: int = 3) -> list[Violation]:
    """The same rule broken by many items of a list (51 tag values with an '&') is named for the
    first `keep` items, then once more for how many others there are."""
    groups: dict = {}
    for v in violations:
        key = (re.sub(r"\[\d+\]", "[*]", v.member), re.sub(r" \(got .*\)$", "", v.rule))
        groups.setdefault(key, []).append(v)
    out = []
    for (member, rule), vs in groups.items():
        out.extend(vs[:keep])
        if len(vs) > keep:
            out.append(Violation(vs[0].service, vs[0].operation, member,
                                 f"{rule} (and {len(vs) - keep} more items like these)"))
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _base64(wire: _Wire, shape, text: str, path: str):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        wire.bad(path, "type: expected base64 (a blob)")
        return None


def _parse_time(text: str):
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


# ---- the constraints, on decoded values ----------------------------------------------------------
class _Validate:
    def __init__(self, wire: _Wire):
        self.wire = wire

    def value(self, shape, v, path: str) -> None:
        if v is None:
            return
        t = shape.type_name
        if t == "structure":
            self.structure(shape, v, path)
        elif t == "list":
            self._size(shape, len(v), path, "items")
            for i, x in enumerate(v, 1):
                self.value(shape.member, x, f"{path}[{i}]")
        elif t == "map":
            self._size(shape, len(v), path, "entries")
            for k, x in v.items():
                self._key(shape.key, k, f"{path}[{k!r}]")
                self.value(shape.value, x, f"{path}[{k!r}]")
        elif t == "string":
            self._string(shape, v, path, "")
        elif t in ("integer", "long", "double", "float"):
            lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
            if lo is not None and v < lo:
                self.wire.bad(path, f"min {lo} (got {_show(shape, v)})")
            if hi is not None and v > hi:
                self.wire.bad(path, f"max {hi} (got {_show(shape, v)})")
        elif t == "blob":
            self._size(shape, len(v), path, "bytes")

    def structure(self, shape, v: dict, path: str) -> None:
        if shape.metadata.get("document"):
            return
        for name in shape.required_members:
            if v.get(name) is None:
                self.wire.bad(_join(path, name), "required")
        if shape.metadata.get("union"):
            given = [n for n in v if v[n] is not None]
            if len(given) != 1:
                self.wire.bad(path or "input", f"union: exactly one member must be set "
                                               f"(got {given})")
        for name, x in v.items():
            self.value(shape.members[name], x, _join(path, name))

    def _key(self, shape, k: str, path: str) -> None:
        self._string(shape, k, path, "key ")

    def _string(self, shape, s: str, path: str, what: str) -> None:
        # a map key is named in the path already: its rule does not repeat it
        got = "" if what else f" (got {_show(shape, s)})"
        self._size(shape, len(s), path, "characters", what)
        enum = shape.metadata.get("enum")
        if enum and s not in enum:
            self.wire.bad(path, f"{what}enum [{', '.join(enum)}]{got}")
        pattern = shape.metadata.get("pattern")
        if pattern and compiled_pattern(pattern).fullmatch(s) is None:
            self.wire.bad(path, f"{what}pattern {pattern}{got}")

    def _size(self, shape, n: int, path: str, unit: str, what: str = "") -> None:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if lo is not None and n < lo:
            self.wire.bad(path, f"{what}min {lo} (got {n} {unit})")
        if hi is not None and n > hi:
            self.wire.bad(path, f"{what}max {hi} (got {n} {unit})")
