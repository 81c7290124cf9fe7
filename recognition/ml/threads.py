"""How many CPU threads torch may use in this process.

torch runs each operator of an inference on a team of `torch.get_num_threads()` OpenMP threads
(intra-op); its inter-op pool runs independent operators side by side, which the face models
never do. Two processes that each run a team as wide as the machine (a web process answering
a search while a worker indexes) share the cores. How a waiting thread waits is OpenMP's
OMP_WAIT_POLICY, read once when torch's OpenMP library loads: ACTIVE spins on its core (processes
sharing cores starve each other), PASSIVE sleeps at once (every operator then pays a wake-up),
and OpenMP's default, spin briefly then sleep, measured best (bench/search_under_load.py).

A process that works in the background (a Celery worker) can also lower its CPU priority
(`lower_priority`): when a search and an indexing job both want the cores, the search gets them,
and when nothing else runs the indexer still has the whole machine.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class ThreadPolicy:
    intra_op: int
    inter_op: int
    wait_policy: str


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def set_torch_threads(intra_op: int) -> ThreadPolicy:
    """Run torch's operators on `intra_op` threads (0: every usable core) and keep its inter-op
    pool to one thread. The inter-op size can only be set before torch first uses that pool;
    if it already has, the pool is left as it is."""
    if intra_op < 0:
        raise ValueError(f"intra_op must be 0 (every core) or more, not {intra_op}.")
    torch.set_num_threads(intra_op or usable_cores())
    if torch.get_num_interop_threads() != 1:
        # Once the pool has started torch refuses to resize it.
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(1)
    return current_policy()


def current_policy() -> ThreadPolicy:
    return ThreadPolicy(
        intra_op=torch.get_num_threads(),
        inter_op=torch.get_num_interop_threads(),
        wait_policy=os.environ.get("OMP_WAIT_POLICY", "OpenMP default"),
    )


def lower_priority(increment: int) -> int:
    """Raise the nice value of every thread of this process by `increment` (threads started
    later inherit it from the thread that starts them); returns the main thread's new value.

    Linux keeps a nice value per thread, so each one in /proc/self/task is changed; elsewhere
    only the calling thread's is. Lowering a priority needs no privilege; raising it back does.
    """
    if increment < 0:
        raise ValueError(f"increment must be 0 or more, not {increment}.")
    if increment == 0:
        return os.getpriority(os.PRIO_PROCESS, 0)
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return os.nice(increment)
    for task in tasks.iterdir():
        tid = int(task.name)
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment))
    return os.getpriority(os.PRIO_PROCESS, 0)
