"""Starts and stops a moto server on a free 127.0.0.1 port: the embedded AWS of the test suites.

The server gets AWS-managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES) and Lambda switched to
its Docker-free backend before anything is created. `stop` always terminates the process group,
so no moto outlives its test session.

moto is reached through a validating proxy (harness/aws_validator.py) that checks every AWS
request against the botocore models and refuses, as AWS would, what moto would let through:
`url` is the proxy's, `direct_url` moto's own (for the harness's /moto-api calls only).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from harness.aws_validator import RECORDER, ValidatingProxy, mode_from_env
from harness.process import stop_group


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    def __init__(self, extra_env: dict | None = None, validation: str | None = None):
        self.port = 0        # the validating proxy's
        self.moto_port = 0   # moto's own
        self.proc: subprocess.Popen | None = None
        self.proxy: ValidatingProxy | None = None
        self.validation = validation or mode_from_env()  # "enforce", "record" or "off"
        self.extra_env = extra_env or {}
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        """Where AWS clients go: the validating proxy in front of moto."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def direct_url(self) -> str:
        """moto itself, bypassing the validator: for the harness's own /moto-api calls."""
        return f"http://127.0.0.1:{self.moto_port}"

    def start(self, timeout: float = 60) -> None:
        # moto with the routes it lacks supplied by the harness (harness/moto_ext.py)
        argv = [sys.executable, "-m", "harness.moto_ext"]
        env = dict(os.environ)
        env.update({"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
        env.update(self.extra_env)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")])
        last_err = None
        for _ in range(3):
            self.moto_port = free_port()
            log_dir = Path(os.environ.get("SECUREAPI_LOG_DIR", "/tmp"))
            log_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = log_dir / f"moto-{self.moto_port}.log"
            log = open(self.log_path, "wb")
            self.proc = subprocess.Popen([*argv, "-H", "127.0.0.1", "-p", str(self.moto_port)],
                                         stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    self._post("/moto-api/config", {"lambda": {"use_docker": False}})
                    self.proxy = ValidatingProxy(self.direct_url, self.validation)
                    self.port = self.proxy.port
                    return
                except OSError as e:
                    last_err = e
                    time.sleep(0.1)
            self.stop()
        raise RuntimeError(f"moto_server did not start: {last_err}; see {self.log_path}")

    def _post(self, path: str, body, content_type: str = "application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.direct_url + path, data=data, method="POST",
                                     headers={"Content-Type": content_type})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    def reset(self) -> None:
        self._post("/moto-api/reset", b"")
        self._post("/moto-api/config", {"lambda": {"use_docker": False}})

    def set_auth(self, initial_no_auth_count: str) -> None:
        """Turns moto's SigV4 checking on ('0') or off ('inf')."""
        self._post("/moto-api/reset-auth", initial_no_auth_count.encode(), "text/plain")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.proc is None:
            return
        stop_group(self.proc)
        self.proc = None

    def client_env(self, region: str = "ap-southeast-1") -> dict:
        """Environment that points an AWS client (ours, boto3, the CLI) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "moto-test-secret-key-not-real",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def boto3_client(self, service: str, region: str = "ap-southeast-1", url: str | None = None):
        """A boto3 client of this server (through its validating proxy), or of `url`."""
        import boto3
        env = self.client_env(region)
        return boto3.client(service, region_name=region, endpoint_url=url or self.url,
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


def main() -> int:
    """`python -m harness.moto URL_FILE`: starts moto behind the validating proxy, writes the
    proxy's URL to URL_FILE, and keeps both running until SIGTERM/SIGINT (used by tools/demo.sh);
    then prints how many requests were validated and every violation, and exits 1 if there was
    any."""
    import argparse
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("url_file")
    args = ap.parse_args()
    server = MotoServer()
    server.start()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    Path(args.url_file).write_text(server.url + "\n")
    try:
        while not stop and server.alive():
            time.sleep(0.2)
    finally:
        server.stop()
    return 0 if RECORDER.report() else 1


if __name__ == "__main__":
    sys.exit(main())
