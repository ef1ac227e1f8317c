"""Where the tests find what meson built: the build directory (SECUREAPI_BUILD_DIR, default
build/ at the top of the repository), the one home of that fact for conftest.py files and tests
that run a built probe."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def build_dir() -> Path:
    return Path(os.environ.get("SECUREAPI_BUILD_DIR", REPO / "build"))
