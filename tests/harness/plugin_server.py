"""A Pulumi plugin server on loopback: serves the files of one directory over HTTP (the
`pulumi plugin install --server` and pluginDownloadURL layout is just the tarball names at the
root) and records every path requested, so tests can tell what the CLI fetched."""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class PluginServer:
    def __init__(self, directory: Path):
        self.requests: list[str] = []
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                return super().do_GET()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0),
                                          functools.partial(Handler, directory=str(directory)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
