"""toxiproxy-server on loopback: TCP-level faults between the plugin and moto.

`Toxiproxy` starts the server (built by tools/setup/install-toxiproxy.sh) with its REST API on a
free 127.0.0.1 port and always stops it; `Toxiproxy.proxy` opens a TCP proxy listening on another
free 127.0.0.1 port in front of an upstream (moto, or our HTTP fault proxy); a `ToxicProxy` adds
and removes toxics on it through the API: latency, bandwidth, slow_close, timeout, reset_peer,
limit_data, slicer. Toxics act on every connection of that proxy, the open ones included.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from harness.moto import free_port
from harness.process import stop_group

INSTALL = Path(__file__).resolve().parents[2] / "tools" / "setup" / "install-toxiproxy.sh"
TCP_HTTP_TIMEOUT = 1  # httpTimeoutSeconds of the plugin in the TCP-level tests


def default_binary() -> Path:
    """Where install-toxiproxy.sh puts the server (its pinned version, its cache folder), or
    SECUREAPI_TOXIPROXY when set."""
    if os.environ.get("SECUREAPI_TOXIPROXY"):
        return Path(os.environ["SECUREAPI_TOXIPROXY"])
    m = re.search(r"TOXIPROXY_VERSION=\$\{TOXIPROXY_VERSION:-([^}]+)\}", INSTALL.read_text())
    version = os.environ.get("TOXIPROXY_VERSION") or (m.group(1) if m else "?")
    cache = os.environ.get("SECUREAPI_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pulumi-secureapi")
    return Path(cache) / f"toxiproxy-v{version}" / "bin" / "toxiproxy-server"


class ToxiproxyError(RuntimeError):
    pass


class Toxiproxy:
    def __init__(self, binary: Path, log_path: Path | None = None):
        self.binary = Path(binary)
        self.log_path = log_path
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.proxies: dict[str, ToxicProxy] = {}

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> "Toxiproxy":
        if not self.binary.exists():
            raise FileNotFoundError(
                f"toxiproxy-server not found at {self.binary}: run "
                f"tools/setup/install-toxiproxy.sh (it builds it from Go modules), or set "
                f"SECUREAPI_TOXIPROXY to its path")
        last = None
        for _ in range(3):  # the free port may be taken in between: try another
            self.port = free_port()
            log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
            # info, not its default trace: a line per toxic move slows its API to 100+ ms
            env = dict(os.environ)
            env.setdefault("LOG_LEVEL", "info")
            self.proc = subprocess.Popen([str(self.binary), "-host", "127.0.0.1",
                                          "-port", str(self.port), "-seed", "7"],
                                         stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
            if log is not subprocess.DEVNULL:
                log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    self.request("GET", "/version")
                    return self
                except OSError as e:
                    last = e
                    time.sleep(0.05)
            self.stop()
        raise ToxiproxyError(f"toxiproxy-server did not start: {last}; see {self.log_path}")

    def request(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.api + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read()
        except urllib.error.HTTPError as e:
            raise ToxiproxyError(f"{method} {path}: HTTP {e.code}: {e.read()[:300]!r}") from None
        return json.loads(text) if text.strip() else None

    def proxy(self, name: str, upstream: str) -> "ToxicProxy":
        """A proxy listening on a free 127.0.0.1 port in front of upstream ("host:port" or an
        http:// URL)."""
        if "://" in upstream:
            u = urllib.parse.urlparse(upstream)
            upstream = f"{u.hostname}:{u.port}"
        host = upstream.rsplit(":", 1)[0]
        assert host in ("127.0.0.1", "localhost"), f"upstream {upstream} is not on loopback"
        got = self.request("POST", "/proxies", {"name": name, "listen": "127.0.0.1:0",
                                                 "upstream": upstream, "enabled": True})
        p = ToxicProxy(self, name, got["listen"])
        self.proxies[name] = p
        return p

    def reset(self) -> None:
        """Every proxy enabled and every toxic removed."""
        self.request("POST", "/reset")

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc)
        self.proc = None


class ToxicProxy:
    def __init__(self, server: Toxiproxy, name: str, listen: str):
        self.server = server
        self.name = name
        self.listen = listen
        self._n = 0

    @property
    def url(self) -> str:
        return f"http://{self.listen}"

    def add(self, kind: str, stream: str = "downstream", toxicity: float = 1.0,
            name: str | None = None, **attributes) -> str:
        """Adds a toxic (downstream: what the upstream answers; upstream: what the client sends)
        and returns its name."""
        self._n += 1
        name = name or f"{kind}-{stream}-{self._n}"
        self.server.request("POST", f"/proxies/{self.name}/toxics",
                            {"name": name, "type": kind, "stream": stream, "toxicity": toxicity,
                             "attributes": attributes})
        return name

    def remove(self, name: str) -> None:
        self.server.request("DELETE", f"/proxies/{self.name}/toxics/{name}")

    def toxics(self) -> list[dict]:
        return self.server.request("GET", f"/proxies/{self.name}/toxics") or []

    def clear(self) -> None:
        for t in self.toxics():
            self.remove(t["name"])

    def delete(self) -> None:
        self.server.request("DELETE", f"/proxies/{self.name}")
        self.server.proxies.pop(self.name, None)
