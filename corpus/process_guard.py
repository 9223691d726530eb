"""Keep a killed run from leaving processes behind.

datatrove's local executor forks a multiprocess Manager and a forkserver. If `corpus run` is
killed with SIGKILL they would outlive it; on Linux each child forked from the run is asked to
receive SIGKILL when its parent dies. Pool workers (forked by the forkserver) check instead
that the run still holds its staging lock (see `owner_alive`) and stop when it does not.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
_installed = False


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def install() -> None:
    """Idempotent; a no-op outside Linux. Call from the main thread of the run's process."""
    global _installed
    if _installed or not sys.platform.startswith("linux"):
        return
    os.register_at_fork(after_in_child=_die_with_parent)
    _installed = True


def owner_alive(lock_path: str) -> bool:
    """True while the run that created a staging folder still holds its lock."""
    try:
        with open(lock_path, "r") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


def refuse_in_worker_import() -> None:
    """Stop a script without a main guard from re-running the pipeline in every worker.

    datatrove's local executor starts workers with forkserver, which imports the user's script
    again in each worker; a top-level `run_pipeline(...)` would then start runs recursively.
    """
    import multiprocessing

    import multiprocess

    for mp in (multiprocess, multiprocessing):
        if getattr(mp.current_process(), "_inheriting", False):
            raise RuntimeError("run_pipeline() was called while a worker process imported your script: put the "
                               "call under `if __name__ == '__main__':`")
