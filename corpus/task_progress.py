"""What each datatrove task tells the run that owns it: documents so far, and when it is done.

Files under the run's work folder (progress/, done/) that the runner polls for the progress
bar. Each tick also checks that the owning `corpus run` still holds its staging lock, so a
task whose run was killed stops instead of writing on.
"""

from __future__ import annotations

from pathlib import Path

from corpus.process_guard import owner_alive

TICK_EVERY = 1000


class TaskProgress:
    def __init__(self, work_dir: str, owner_lock: str, segment: int, rank: int):
        self.owner_lock = owner_lock
        self.progress = Path(work_dir, "progress", f"{segment}-{rank:05d}")
        self.done_marker = Path(work_dir, "done", f"{segment}-{rank:05d}")
        self.n = 0
        self.check_owner()
        self.progress.parent.mkdir(parents=True, exist_ok=True)

    def check_owner(self) -> None:
        if not owner_alive(self.owner_lock):
            raise RuntimeError("the `corpus run` that started this task is gone; stopping")

    def tick(self) -> None:
        self.n += 1
        if self.n % TICK_EVERY == 0:
            self.progress.write_text(str(self.n))
            self.check_owner()

    def done(self) -> None:
        self.progress.write_text(str(self.n))
        self.done_marker.parent.mkdir(parents=True, exist_ok=True)
        self.done_marker.touch()


def docs_seen(work_dir: Path) -> int:
    """Documents through the furthest segment so far (what the progress bar shows)."""
    by_segment: dict[str, int] = {}
    for p in (work_dir / "progress").glob("*"):
        try:
            seg = p.name.split("-")[0]
            by_segment[seg] = by_segment.get(seg, 0) + int(p.read_text() or 0)
        except (ValueError, OSError):
            pass
    return by_segment[max(by_segment, key=int)] if by_segment else 0


def tasks_done(work_dir: Path) -> int:
    return len(list((work_dir / "done").glob("*")))
