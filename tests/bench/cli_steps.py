#!/usr/bin/env python3
"""Wall time of each Pulumi CLI step for the TypeScript example against moto: stack init,
preview, up, a no-op up, refresh, the step2 update, destroy. Run after tests/check.sh (or
tools/demo.sh) has set things up:

    PATH=<node22 bin>:$PATH SECUREAPI_PULUMI_BIN=<pulumi bin> \\
        $(bash tools/setup/setup-venv.sh | tail -1)/bin/python tests/bench/cli_steps.py [build dir]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from harness.aws_validator import RECORDER  # noqa: E402
from harness.moto import MotoServer  # noqa: E402


def main() -> int:
    build = (Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "build").resolve()
    pulumi_bin = os.environ["SECUREAPI_PULUMI_BIN"]
    work = Path(tempfile.mkdtemp(prefix="secureapi-cli-steps-"))
    moto = MotoServer()
    moto.start()
    rows = []
    try:
        subprocess.run(["bash", str(REPO / "tools/sdk/build-sdk.sh")], check=True,
                       capture_output=True)
        proj = work / "typescript"
        shutil.copytree(REPO / "examples/typescript", proj,
                        ignore=shutil.ignore_patterns("node_modules", "bin"))
        pkg = json.loads((proj / "package.json").read_text())
        pkg["dependencies"]["pulumi-secureapi"] = f"file:{REPO / 'sdk-shim/nodejs/bin'}"
        (proj / "package.json").write_text(json.dumps(pkg, indent=2))
        t0 = time.monotonic()
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                        "--loglevel=error", "--prefer-offline"], cwd=proj, check=True)
        rows.append(("npm install (warm cache)", time.monotonic() - t0))
        (work / "state").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
        env.update(moto.client_env())
        env.update({"PATH": f"{build / 'provider'}:{pulumi_bin}:{env['PATH']}",
                    "PULUMI_HOME": str(work / "home"), "PULUMI_BACKEND_URL": f"file://{work / 'state'}",
                    "PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_SKIP_UPDATE_CHECK": "true",
                    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"})

        def step(name, *args):
            t = time.monotonic()
            r = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=proj, env=env,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"pulumi {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
            rows.append((name, time.monotonic() - t))

        step("stack init", "stack", "init", "bench")
        subprocess.run(["pulumi", "config", "set", "environmentSuffix", "bench"], cwd=proj,
                       env=env, check=True, capture_output=True)
        step("preview", "preview")
        step("up (create)", "up", "--yes", "--skip-preview")
        step("up (no changes)", "up", "--yes", "--skip-preview")
        step("refresh", "refresh", "--yes")
        for f in (proj / "step2").iterdir():
            shutil.copy(f, proj / f.name)
        step("up (step2 update)", "up", "--yes", "--skip-preview")
        step("destroy", "destroy", "--yes", "--skip-preview")
    finally:
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("| CLI step (TypeScript example, moto) | wall time (s) |")
    print("|---|---|")
    for name, t in rows:
        print(f"| {name} | {t:.2f} |")
    return 0 if RECORDER.report() else 1


if __name__ == "__main__":
    sys.exit(main())
