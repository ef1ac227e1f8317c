"""Pulumi YAML projects for the CLI tests: one SecureApiStack named `api`, the plugin taken from a
given folder (plugins.providers, so no installation is needed), with the given properties and
outputs. Written as JSON, which is YAML too, so values need no quoting rules."""
from __future__ import annotations

import json
from pathlib import Path


def yaml_project(proj: Path, name: str, plugin_dir: Path, properties: dict,
                 outputs: dict | None = None) -> Path:
    proj.mkdir(parents=True, exist_ok=True)
    doc = {
        "name": name,
        "runtime": "yaml",
        "plugins": {"providers": [{"name": "secureapi", "path": str(plugin_dir)}]},
        "resources": {"api": {"type": "secureapi:index:SecureApiStack",
                              "properties": properties}},
    }
    if outputs:
        doc["outputs"] = outputs
    (proj / "Pulumi.yaml").write_text(json.dumps(doc, indent=2) + "\n")
    return proj
