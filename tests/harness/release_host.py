"""A loopback stand-in for a GitHub release host: serves the files of one release folder at the
path GitHub gives release assets, /<org>/<repo>/releases/download/v<version>/<asset>, answers
404 for any other path (another tag, another repository, the API), and records every path
requested, so tests can tell what the CLI, npm or pip fetched. `override(url)` gives the
PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES value that sends a real pluginDownloadURL (the github://
API form or the https://github.com/.../releases/download/v${VERSION} form) here instead."""
from __future__ import annotations

import re
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from harness.loopback import LoopbackServer


class ReleaseHost(LoopbackServer):
    def __init__(self, folder: Path, org: str, repo: str, version: str):
        self.requests: list[str] = []
        self.org, self.repo, self.version = org, repo, version
        self.prefix = f"/{org}/{repo}/releases/download/v{version}/"
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                path = unquote(urlsplit(self.path).path)
                name = path[len(outer.prefix):] if path.startswith(outer.prefix) else ""
                f = folder / name
                if not name or "/" in name or not f.is_file():
                    self.send_error(404, "Not Found")
                    return
                data = f.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_HEAD(self):
                self.send_error(405)

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    def asset_url(self, name: str) -> str:
        return f"{self.url}{self.prefix}{name}"

    def override(self, plugin_download_url: str) -> str:
        """PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES for a real pluginDownloadURL: its github.com
        release URL, rewritten to this host (only the org and repo of this release match)."""
        org, repo = re.escape(self.org), re.escape(self.repo)
        if plugin_download_url.startswith("github://"):
            # github://api.github.com/<org>/<repo>: the CLI asks the GitHub API for tag v<ver>
            pattern = f"^github://api[.]github[.]com/{org}/{repo}$"
            return f"{pattern}={self.url}/{self.org}/{self.repo}/releases/download/v${{VERSION}}"
        # https://github.com/<org>/<repo>/releases/download/v${VERSION}, as the CLI escapes it
        pattern = f"^https://github[.]com/(?P<path>{org}/{repo}/releases/download/.*)$"
        return f"{pattern}={self.url}/${{path}}"
