"""Tiered builds: the plain build answers while Numba compiles in the background.

A generated module has two builds: the plain one (``backend._plain``:
the source run as Python and NumPy) and the Numba one.  With
``$SYMDIFF_JIT=background`` (the default) the first call of a derivative
runs the plain build at once and hands the Numba build to one worker
thread; ``api`` switches the call to the Numba dispatcher at the first call
after it is ready.  Both builds run the same source, so they compute the
same values (up to the rounding of sums: NumPy sums pairwise, Numba in
order).

The worker does not compile in this process when it can help it: while
Numba compiles, it holds the GIL most of the time (its typing and lowering
are Python), and a compile running in a thread dies with the process.  For
a module Numba may cache (``cache=True``: its file is on disk and it calls
no user rules) the worker starts a child process (its own session, so it
outlives this one) that compiles the signature into the on-disk caches
(``$SYMDIFF_CACHE_DIR`` for the source, ``$NUMBA_CACHE_DIR`` or Numba's
default for the machine code); the worker waits for it without the GIL,
then loads the machine code from the cache in this process.  If the child
fails, or the signature cannot be described to it, the worker compiles in
this process.  The next process finds the cache and loads it in the
background as well.

Numba's compiler takes a global lock of its own, so a compile in the worker
and one in the caller's thread (``specialize``, ``SYMDIFF_JIT=sync``)
never interleave; both use the one dispatcher of the build.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

_BUILDS: dict = {}  # (module name, function name, boundscheck) -> Build
_LOCK = threading.RLock()
_JOBS: queue.Queue = queue.Queue()
_WORKER: list = []  # the worker thread, once started
_EXITING = threading.Event()
NOTE_AFTER = 2.0  # seconds: compiles longer than this get a note on stderr


class Build:
    """The Numba build of one generated function: its dispatcher, and the
    background compile of its first signature."""

    def __init__(self, module, name: str, boundscheck: bool, cacheable: bool, make):
        self.module, self.name = module, name
        self.boundscheck, self.cacheable = boundscheck, cacheable
        self._make = make  # () -> the dispatcher (backend.numba_build)
        self._dispatcher = None
        self._making = threading.Lock()  # not _LOCK: making it imports Numba (seconds)
        self.compiled = None  # the dispatcher, once compiled for the first signature
        self.error: BaseException | None = None  # why the background compile failed
        self.done = threading.Event()  # compiled, or failed
        self.started = False

    def dispatcher(self):
        """The Numba dispatcher (made now if the background build has not)."""
        with self._making:
            if self._dispatcher is None:
                self._dispatcher = self._make()
            return self._dispatcher

    def plain_until_ready(self, plain):
        """``plain``, which starts the background compile at its first call
        (the arguments tell the signature); ``api`` switches to the
        dispatcher when ``done`` is set."""

        @functools.wraps(plain)
        def run(*args):
            out = plain(*args)
            if not self.started:  # after the call: the worker's imports take the GIL
                self.start(args)
            return out

        run.build = self
        return run

    def start(self, args: tuple) -> None:
        """Compile for the signature of ``args`` in the background."""
        with _LOCK:
            if self.started:
                return
            self.started = True
        signature = [describe(a) for a in args]
        values = args if None in signature else None  # typed by Numba itself, in the worker
        _worker()
        _JOBS.put((self, signature, values))
        note = threading.Timer(NOTE_AFTER, self._note)
        note.daemon = True
        note.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background compile; False if it is still running."""
        return self.done.wait(timeout)

    def _note(self) -> None:
        if not self.done.is_set() and wants_notes():
            print(
                f"symdiff: Numba is compiling {self.name} in the background; the plain "
                "NumPy build answers until it is ready (SYMDIFF_QUIET=1 silences this)",
                file=sys.stderr,
            )

    def compile(self, signature: list, values) -> None:
        """The worker's job: the machine code for ``signature``, from a child
        process through the disk cache when the module may be cached."""
        if self.cacheable and values is None and not _EXITING.is_set():
            if not marker(self.module.__file__, self.boundscheck, signature).exists():
                _compile_in_child(self, signature)
        if _EXITING.is_set():
            raise RuntimeError("the process is exiting")
        import numba

        dispatcher = self.dispatcher()
        if values is None:
            argument_types = tuple(numba_type(d) for d in signature)
        else:
            argument_types = tuple(numba.typeof(v) for v in values)
        dispatcher.compile(argument_types)  # from the cache the child wrote, or compiled now
        self.compiled = dispatcher


def build_of(module, name: str, boundscheck: bool, cacheable: bool, make) -> Build:
    """The one ``Build`` of the function ``name`` of ``module``."""
    key = (module.__name__, name, boundscheck)
    with _LOCK:
        build = _BUILDS.get(key)
        if build is None or build.module is not module:
            build = _BUILDS[key] = Build(module, name, boundscheck, cacheable, make)
        return build


def _worker() -> None:
    with _LOCK:
        if not _WORKER:
            thread = threading.Thread(target=_work, name="symdiff-numba-build", daemon=True)
            _WORKER.append(thread)
            thread.start()


def _work() -> None:
    while True:
        build, signature, values = _JOBS.get()
        try:
            build.compile(signature, values)
        except BaseException as exc:  # noqa: BLE001 -- the plain build keeps answering
            build.error = exc
        finally:
            build.done.set()


def _compile_in_child(build: Build, signature: list) -> None:
    """Compile ``signature`` into the disk cache in a child process (waited
    for without the GIL); a failure there leaves the compile to this process."""
    job = json.dumps(
        {
            "path": build.module.__file__,
            "name": build.name,
            "boundscheck": build.boundscheck,
            "signature": signature,
        }
    )
    env = dict(os.environ, SYMDIFF_QUIET="1", SYMDIFF_JIT="sync")
    root = str(Path(__file__).resolve().parent.parent)  # this symdiff, whatever sys.path says
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    try:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from symdiff.backend import build_in_child; build_in_child()",
                job,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # outlives this process: the cache is still written
        )
        child.wait()
    except OSError:
        pass


def marker(path: str, boundscheck: bool, signature: list) -> Path:
    """The file a child process (``backend.build_in_child``) leaves next to the module once Numba's cache
    holds this signature: the next process loads it without a child."""
    numba_cache = os.environ.get("NUMBA_CACHE_DIR", "")  # where the child wrote the machine code
    digest = hashlib.sha256(json.dumps([boundscheck, signature, numba_cache]).encode())
    digest = digest.hexdigest()[:16]
    return Path(path).with_suffix(f".{digest}.numba")


def describe(value):
    """The Numba type of ``value`` as JSON (``numba_type`` reads it), or None
    when only Numba can tell.  As ``numba.typeof`` types it: an array by
    dtype, rank, layout, and whether it is read-only and aligned."""
    kind = type(value)
    if kind is float:
        return ["float64"]
    if kind is bool:
        return ["boolean"]
    if kind is int:
        return ["int64"] if -(2**63) <= value < 2**63 else None
    if kind is complex:
        return ["complex128"]
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return ["scalar", value.dtype.str]
    if kind is np.ndarray and value.dtype.kind in "biufc":
        flags = value.flags
        layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
        return ["array", value.dtype.str, value.ndim, layout, not flags.writeable, flags.aligned]
    return None


def numba_type(description: list):
    """The Numba type ``describe`` described."""
    from numba import types
    from numba.np.numpy_support import from_dtype

    if description[0] == "scalar":
        return from_dtype(np.dtype(description[1]))
    if description[0] == "array":
        _, dtype, ndim, layout, readonly, aligned = description
        return types.Array(
            from_dtype(np.dtype(dtype)), ndim, layout, readonly=readonly, aligned=aligned
        )
    return getattr(types, description[0])


def wants_notes() -> bool:
    """Progress notes on stderr: in interactive use, unless ``$SYMDIFF_QUIET``."""
    if os.environ.get("SYMDIFF_QUIET", "").strip() not in ("", "0"):
        return False
    interactive = hasattr(sys, "ps1") or sys.flags.interactive or "ipykernel" in sys.modules
    try:
        return bool(interactive or sys.stderr.isatty())
    except (AttributeError, ValueError):  # stderr replaced or closed
        return bool(interactive)


class slow_note:
    """A note on stderr if the block (a compile in the caller's thread) takes
    more than ``NOTE_AFTER`` seconds."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self.timer = threading.Timer(NOTE_AFTER, self._note)
        self.timer.daemon = True
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()
        return False

    def _note(self) -> None:
        if wants_notes():
            print(
                f"symdiff: Numba is compiling {self.name} (the first call with these argument "
                "types; SYMDIFF_QUIET=1 silences this)",
                file=sys.stderr,
            )


atexit.register(_EXITING.set)  # a worker still compiling here stops before the next step
