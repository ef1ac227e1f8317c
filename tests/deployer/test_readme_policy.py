"""The README shows the deployer policy: the same document as docs/deployer-policy.json (the one
the tests enforce), so the two never drift apart."""
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_shows_the_tested_policy():
    section = (REPO / "README.md").read_text().split("## Deployer permissions", 1)[1]
    shown = re.search(r"```json\n(.*?)\n```", section, re.S).group(1)
    assert json.loads(shown) == json.loads((REPO / "docs" / "deployer-policy.json").read_text())
