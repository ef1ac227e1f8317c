"""Smallest Python program: reads stack config and exports it."""
import pulumi

config = pulumi.Config()
pulumi.export("greeting", f"hello {config.require('who')} from Python")
