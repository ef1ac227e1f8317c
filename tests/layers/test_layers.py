"""The layers of provider/ as the includes show them (check_layers.py): the real tree passes, and
the checker catches an upward include and a reach past the resource's public header."""
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECKER = Path(__file__).with_name("check_layers.py")


def run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECKER), str(root)], capture_output=True, text=True)


def test_the_tree_keeps_its_layers():
    r = run(REPO / "provider")
    assert r.returncode == 0, r.stdout
    assert ", 0 problems" in r.stdout


def test_an_upward_include_is_caught(tmp_path):
    root = tmp_path / "provider"
    shutil.copytree(REPO / "provider", root)
    value_c = root / "base" / "value.c"
    value_c.write_text('#include "plugin/rpc.h"\n' + value_c.read_text())
    r = run(root)
    assert r.returncode == 1
    assert 'base/value.c: #include "plugin/rpc.h": base may not include plugin' in r.stdout


def test_the_plugin_reaching_into_the_resource_is_caught(tmp_path):
    root = tmp_path / "provider"
    shutil.copytree(REPO / "provider", root)
    rpc_c = root / "plugin" / "rpc_resource.c"
    rpc_c.write_text('#include "stack/steps.h"\n' + rpc_c.read_text())
    r = run(root)
    assert r.returncode == 1
    assert "plugin may include only ['stack/stack.h'] of stack" in r.stdout
