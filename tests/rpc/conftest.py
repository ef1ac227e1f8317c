"""Fixtures of the rpc suite: a recording fake Engine and the plugin launched against it."""
import pytest

from harness.plugin import Plugin, RecordingEngine


@pytest.fixture
def engine():
    e = RecordingEngine()
    yield e
    e.stop()


@pytest.fixture
def plugin(plugin_bin, engine, tmp_path):
    p = Plugin(plugin_bin, engine=engine, stderr_path=tmp_path / "plugin.stderr")
    yield p
    p.close()
