#!/usr/bin/env python3
"""The layer rule of provider/ (provider/meson.build), checked on the includes: every file of a
layer includes only headers of its own layer or the layers below it (base < aws < stack <
plugin), by their layer-prefixed path; and the plugin layer includes nothing of stack/ but its
public header stack/stack.h. Exits non-zero naming every offending include.
Usage: check_layers.py PROVIDER_DIR"""
import re
import sys
from pathlib import Path

ORDER = ["base", "aws", "stack", "plugin"]
PUBLIC = {"stack": {"stack/stack.h"}}  # what the layer above may include of a layer
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
GENERATED = ("pulumi/", "google/")  # protoc-c output, the plugin layer's own


def check(root: Path) -> list[str]:
    problems = []
    for layer in ORDER:
        for f in sorted((root / layer).glob("*.[ch]")):
            for inc in INCLUDE.findall(f.read_text()):
                where = f"{f.relative_to(root)}: #include \"{inc}\""
                if inc.startswith(GENERATED):
                    if layer != "plugin":
                        problems.append(f"{where}: only the plugin layer speaks the protocol")
                    continue
                top = inc.split("/", 1)[0] if "/" in inc else None
                if top not in ORDER:
                    problems.append(f"{where}: include by layer path (e.g. \"base/value.h\")")
                    continue
                if ORDER.index(top) > ORDER.index(layer):
                    problems.append(f"{where}: {layer} may not include {top} (a layer above)")
                elif top != layer and ORDER.index(top) == ORDER.index(layer) - 1 and \
                        top in PUBLIC and inc not in PUBLIC[top]:
                    problems.append(f"{where}: {layer} may include only {sorted(PUBLIC[top])} of {top}")
    return problems


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[2] / "provider")
    problems = check(root)
    for p in problems:
        print(p)
    files = sum(1 for layer in ORDER for _ in (root / layer).glob("*.[ch]"))
    print(f"layers: {files} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
