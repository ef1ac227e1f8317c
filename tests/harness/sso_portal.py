"""A loopback IAM Identity Center (SSO) portal: the one operation of botocore's `sso` model
(2019-06-10) the credential providers call, GetRoleCredentials, on the harness's LoopbackServer.

    GET /federation/credentials?role_name=NAME&account_id=ID
    x-amz-sso_bearer_token: <the access token `aws sso login` cached>

answers 200 `{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken",
"expiration"}}` (expiration in epoch milliseconds, as the real portal) for the one token and the
(account, role) pairs it was given. Like the portal it answers a missing or wrong token with 401
UnauthorizedException ("Session token not found or invalid"), a missing query member with 400
InvalidRequestException, an (account, role) the token has no access to with 403
ForbiddenException ("No access"), any other path with 404; errors are REST-JSON: the
x-amzn-ErrorType header and `{"message": ...}`, which botocore reads into the modelled exceptions.

The credentials it hands out are whatever the test gives it: for moto with signature checking on,
the keys of a role assumed in moto (an ASIA key with its session token), which moto accepts.
Every request is recorded (method, path, query, whether the token was right), never the token.
`credentials` may be a dict or a callable returning one, called per successful request.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from harness.loopback import LoopbackServer, QuietHandler


@dataclass
class PortalRequest:
    method: str
    path: str
    query: dict
    token_ok: bool
    signed: bool  # an Authorization header came with it (the portal call is unsigned)


def _millis(when: datetime.datetime) -> int:
    return int(when.timestamp() * 1000)


class SsoPortal(LoopbackServer):
    def __init__(self, token: str, access: set[tuple[str, str]],
                 credentials: dict | Callable[[], dict]):
        """token: the one valid access token; access: the (account_id, role_name) pairs it may
        use; credentials: {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"
        (an aware datetime)}."""
        self.token = token
        self.access = set(access)
        self.credentials = credentials
        self.requests: list[PortalRequest] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def _send(self, status: int, body: dict, error_type: str | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-sso-portal")
                if error_type:
                    self.send_header("x-amzn-ErrorType", error_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, error_type: str, message: str):
                self._send(status, {"message": message}, error_type)

            def _any(self):
                self.read_body()
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                token = self.headers.get("x-amz-sso_bearer_token")
                token_ok = token is not None and token == outer.token
                with outer._lock:
                    outer.requests.append(PortalRequest(
                        self.command, url.path, query, token_ok,
                        self.headers.get("Authorization") is not None))
                if url.path != "/federation/credentials" or self.command != "GET":
                    return self._error(404, "ResourceNotFoundException", "Not found")
                if not token_ok:
                    return self._error(401, "UnauthorizedException",
                                       "Session token not found or invalid")
                role, account = query.get("role_name"), query.get("account_id")
                if not role or not account:
                    return self._error(400, "InvalidRequestException",
                                       "role_name and account_id are required")
                if (account, role) not in outer.access:
                    return self._error(403, "ForbiddenException", "No access")
                c = outer.credentials() if callable(outer.credentials) else outer.credentials
                self._send(200, {"roleCredentials": {
                    "accessKeyId": c["AccessKeyId"],
                    "secretAccessKey": c["SecretAccessKey"],
                    "sessionToken": c["SessionToken"],
                    "expiration": _millis(c["Expiration"]),
                }})

            do_GET = do_POST = do_PUT = do_DELETE = _any

        super().__init__(Handler)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)


def write_token_cache(home, key_start_url: str, token: str, expires_at: datetime.datetime,
                      session_name: str | None, region: str = "eu-west-1") -> str:
    """Writes the token cache file exactly where and as the AWS CLI's `aws sso login` does: with
    botocore's own JSONFileCache (~/.aws/sso/cache, file name the SHA-1 hex of the session name,
    or of the start URL for a legacy profile; mode 0600) and the fields botocore's
    SSOTokenFetcher/SSOTokenProvider write. Returns the file's path."""
    from botocore.utils import JSONFileCache, SSOTokenLoader

    cache_dir = os.path.join(str(home), ".aws", "sso", "cache")
    cache = JSONFileCache(cache_dir)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    token_dict = {
        "startUrl": key_start_url,
        "region": region,
        "accessToken": token,
        "expiresAt": expires_at.astimezone(datetime.timezone.utc).strftime(stamp),
    }
    if session_name is not None:  # the sso-session form also keeps what refreshing needs
        token_dict.update({
            "clientId": "harness-client-id",
            "clientSecret": "harness-client-secret",
            "registrationExpiresAt": (expires_at + datetime.timedelta(days=90)).astimezone(
                datetime.timezone.utc).strftime(stamp),
            "refreshToken": "harness-refresh-token",
        })
    SSOTokenLoader(cache=cache).save_token(key_start_url, token_dict, session_name=session_name)
    name = hashlib.sha1((session_name or key_start_url).encode()).hexdigest()
    path = os.path.join(cache_dir, name + ".json")
    assert os.path.exists(path), path  # botocore put it where the SDKs look
    return path
