"""Running Python code in a new process under a chosen ``PYTHONHASHSEED``,
for the tests that generated code does not depend on the hash seed."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_under_hash_seed(code: str, seed) -> str:
    """The output of ``python -c code`` run with ``PYTHONHASHSEED=seed``, the
    repository first on the path; the process must succeed."""
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
