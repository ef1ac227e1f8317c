"""IAM identity-based policy evaluation, for the harness's IAM policy enforcer (iam_enforcer.py).

`evaluate(policy, action, resource, context)` answers as AWS's evaluation logic does for one
identity-based policy and no other policy type (no SCPs, permission boundaries, session policies
or resource policies): an explicit Deny in any matching statement wins, else an Allow in any
matching statement allows, else the request is implicitly denied.

What is modelled (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements"):
- Action / NotAction with `*` and `?` wildcards, case-insensitive;
- Resource / NotResource as ARN patterns: the first five `:`-separated parts (arn, partition,
  service, region, account) are matched part by part, the rest (the resource) as a whole, each
  with `*` and `?` (case-sensitive); `*` alone matches everything;
- Condition: every operator of a block must hold, every key of an operator must hold, and a key
  holds when any of the policy's values matches (OR). Operators: StringEquals, StringNotEquals,
  StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals,
  ArnNotEquals, ArnLike, ArnNotLike, Bool, Null; the `IfExists` suffix; the `ForAnyValue:` and
  `ForAllValues:` set prefixes. A key missing from the request context makes a positive operator
  false and a negated one true (IfExists: true), ForAnyValue false and ForAllValues true.
  Condition key names are case-insensitive, values case-sensitive (unless IgnoreCase).

Not modelled (an error is raised when a policy uses them, so nothing is silently allowed): policy
variables (`${...}`), numeric, date and IP address operators, Principal (identity policies have
none)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

# A request context: condition key (any case) -> its values, or None when the key is absent.
Context = Callable[[str], "list[str] | None"]


@dataclass(frozen=True)
class Decision:
    effect: str            # "Allow", "ImplicitDeny" or "ExplicitDeny"
    sid: str | None = None  # the deciding statement (the Allow or the Deny), when there is one

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


class UnsupportedPolicy(ValueError):
    pass


_WILDCARD_CACHE: dict[tuple[str, bool], re.Pattern] = {}


def wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run of characters) and `?` (one character) over a whole string."""
    key = (pattern, ignore_case)
    rx = _WILDCARD_CACHE.get(key)
    if rx is None:
        rx = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                                for c in pattern), re.S | (re.I if ignore_case else 0))
        _WILDCARD_CACHE[key] = rx
    return rx.fullmatch(value) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike / Resource matching: the first five parts one by one, then the resource part."""
    if pattern == "*":
        return True
    p, a = pattern.split(":", 5), arn.split(":", 5)
    if len(p) != 6 or len(a) != 6:
        return wildcard(pattern, arn)
    return all(wildcard(x, y) for x, y in zip(p, a))


def _as_list(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def _check_supported(text: str) -> None:
    if "${" in text:
        raise UnsupportedPolicy(f"policy variables are not modelled: {text}")


_BASE_OPS = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (lambda p, v: wildcard(p, v), False),
    "StringNotLike": (lambda p, v: wildcard(p, v), True),
    "ArnEquals": (lambda p, v: p == v, False),
    "ArnNotEquals": (lambda p, v: p == v, True),
    "ArnLike": (arn_like, False),
    "ArnNotLike": (arn_like, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
}


def _condition_holds(op: str, key: str, wanted: list[str], ctx: Context) -> bool:
    set_op = None
    if ":" in op:
        set_op, op = op.split(":", 1)
        if set_op not in ("ForAnyValue", "ForAllValues"):
            raise UnsupportedPolicy(f"condition set operator {set_op} is not modelled")
    if_exists = op.endswith("IfExists")
    base = op[: -len("IfExists")] if if_exists else op
    values = ctx(key)
    for w in wanted:
        _check_supported(w)
    if base == "Null":
        absent = not values
        return any((w.lower() == "true") == absent for w in wanted)
    if base not in _BASE_OPS:
        raise UnsupportedPolicy(f"condition operator {op} is not modelled")
    match, negated = _BASE_OPS[base]

    def one(v: str) -> bool:  # one context value against the policy's values
        hit = any(match(w, v) for w in wanted)
        return not hit if negated else hit

    if set_op == "ForAnyValue":
        return bool(values) and any(one(v) for v in values)
    if set_op == "ForAllValues":
        return not values or all(one(v) for v in values)
    if not values:
        return True if if_exists else negated
    if negated:
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def _conditions_hold(block: dict | None, ctx: Context) -> bool:
    for op, keys in (block or {}).items():
        for key, wanted in keys.items():
            if not _condition_holds(op, key, [str(w) for w in _as_list(wanted)], ctx):
                return False
    return True


def statements(policy: dict) -> list[dict]:
    return _as_list(policy.get("Statement"))


def _matches(stmt: dict, action: str, resource: str) -> bool:
    if "Action" in stmt:
        if not any(wildcard(a, action, ignore_case=True) for a in _as_list(stmt["Action"])):
            return False
    elif "NotAction" in stmt:
        if any(wildcard(a, action, ignore_case=True) for a in _as_list(stmt["NotAction"])):
            return False
    else:
        return False
    if "Resource" in stmt:
        pats = _as_list(stmt["Resource"])
        for p in pats:
            _check_supported(p)
        return any(arn_like(p, resource) for p in pats)
    if "NotResource" in stmt:
        return not any(arn_like(p, resource) for p in _as_list(stmt["NotResource"]))
    return False


def evaluate(policy: dict, action: str, resource: str, ctx: Context) -> Decision:
    allow = None
    for stmt in statements(policy):
        if "Principal" in stmt or "NotPrincipal" in stmt:
            raise UnsupportedPolicy("an identity-based policy has no Principal")
        if not _matches(stmt, action, resource) or not _conditions_hold(stmt.get("Condition"),
                                                                           ctx):
            continue
        if stmt.get("Effect") == "Deny":
            return Decision("ExplicitDeny", stmt.get("Sid"))
        if stmt.get("Effect") == "Allow" and allow is None:
            allow = Decision("Allow", stmt.get("Sid"))
    return allow or Decision("ImplicitDeny")


def dict_context(values: dict[str, Iterable[str] | str],
                 lazy: Callable[[str], "list[str] | None"] | None = None) -> Context:
    """A context from a dict (keys any case); keys it lacks are asked of `lazy` (for tags that
    must be looked up)."""
    low = {k.lower(): _as_list(v) if not isinstance(v, str) else [v] for k, v in values.items()}

    def get(key: str):
        k = key.lower()
        if k in low:
            return low[k]
        return lazy(key) if lazy is not None else None
    return get
