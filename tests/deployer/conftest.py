"""Fixtures of the deployer suite (the world they build is deployer/world.py): a deployer world
per test or per module, its accounts and enforcer, and the plugin signed with the deployer's
keys, every AWS call going to the enforcer."""
from __future__ import annotations

import pytest

from .world import deployer_env, deployer_world


@pytest.fixture
def world(aws):
    """A deployer world of its own for one test (moto reset before it)."""
    with deployer_world(aws) as w:
        yield w


@pytest.fixture(scope="module")
def shared_world(moto):
    """One deployer world for a whole module (moto reset once): for tests that each use stacks
    of their own (their own environmentSuffix) and set the policy and clear the records first."""
    moto.reset()
    with deployer_world(moto) as w:
        yield w


@pytest.fixture
def accounts(world):
    return world[0]


@pytest.fixture
def enforcer(world):
    return world[1]


@pytest.fixture
def deployer_plugin(configured_plugin, accounts, enforcer):
    return configured_plugin(deployer_env(accounts, enforcer.url))
