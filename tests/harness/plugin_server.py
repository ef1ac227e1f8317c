"""A Pulumi plugin server on loopback: serves the files of one directory over HTTP (the
`pulumi plugin install --server` and pluginDownloadURL layout is just the tarball names at the
root) and records every path requested, so tests can tell what the CLI fetched."""
from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from harness.loopback import LoopbackServer


class PluginServer(LoopbackServer):
    def __init__(self, directory: Path):
        self.requests: list[str] = []
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                return super().do_GET()

            def log_message(self, *args):
                pass

        super().__init__(functools.partial(Handler, directory=str(directory)))
