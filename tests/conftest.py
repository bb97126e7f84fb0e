"""The suite compiles with Numba at the first call (``SYMDIFF_JIT=sync``):
tests that a call runs Numba's build, or raises its error, need it to be
there; ``tests/test_tiered.py`` tests the background build itself."""

import os

os.environ.setdefault("SYMDIFF_JIT", "sync")
