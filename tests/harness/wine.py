"""A headless wine prefix for running the windows-amd64 release binary on this machine (the
release tests and the release benchmark): the variables that point wine at the prefix and keep it
quiet and without the Mono and Gecko installers, and the one-time prefix creation (about 6 s)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


def wine_vars(prefix: Path) -> dict:
    """What a wine run needs in its environment, beside the caller's own variables."""
    return {"WINEPREFIX": str(prefix), "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml=",
            "WINEARCH": "win64"}


def make_prefix(prefix: Path) -> dict:
    """Creates the prefix (wineboot -i, no display) and returns wine_vars(prefix)."""
    env = {**os.environ, **wine_vars(prefix)}
    env.pop("DISPLAY", None)
    subprocess.run(["wineboot", "-i"], env=env, check=True, capture_output=True, timeout=300)
    return wine_vars(prefix)
