#!/usr/bin/env python3
"""The two commands of the README, with nothing but Python and pip:

    python3 tasks.py demo   # set up, load the demo province, serve http://127.0.0.1:8000/
    python3 tasks.py test   # set up, lint, run the whole test suite

It creates ./.venv on first use and reinstalls only when pyproject.toml changes. Extra
arguments go to the underlying command (e.g. `python3 tasks.py test -k store -x`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".tasks-stamp"


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py must run on any python3
        sys.exit(f"quantrac needs Python ≥ 3.11 (this is {sys.version.split()[0]})")
    if not (BIN / "python").exists():
        print("· creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("· installing quantrac and its pinned dependencies into .venv", flush=True)
        pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(wanted)


def run(*cmd: str) -> int:
    return subprocess.call([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT)


def main() -> int:
    task, args = (sys.argv[1] if len(sys.argv) > 1 else ""), sys.argv[2:]
    if task not in {"demo", "test"}:
        print(__doc__)
        return 2
    ensure_env()
    if task == "demo":
        return run("quantrac", "demo", *args)
    code = run("ruff", "check", "quantrac", "tests", "bench", "tasks.py")
    if code:
        return code
    return run("python", "-m", "pytest", *args)


if __name__ == "__main__":
    sys.exit(main())
