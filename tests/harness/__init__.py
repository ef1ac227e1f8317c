"""Test harness helpers shared by the pytest suites (moto server control, plugin launcher)."""
