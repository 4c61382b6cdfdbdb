"""Where `prepare` runs its per-file work: a local process pool, or a Dask cluster.

Each executor takes the jobs in order and yields their results in the same order, so the dataset and
manifest do not depend on the executor; work runs ahead of the consumer, but only so far (Dask) or as
far as the pool's queue (local), and results are handed on as they come.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from musicae.autoencoding.config import ConfigError, Registry

EXECUTORS = Registry("executor")
UNITS_PER_TASK = 128  # a Dask task carries this many files: scheduling and moving one costs milliseconds
TASKS_AHEAD_PER_WORKER = 8  # how far the cluster may run ahead of the writer


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """A pool worker's initializer: a thread that ends the worker once its parent is gone (kill -9 of the
    driver would otherwise leave the workers blocked on their queue for good)."""
    import threading
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _run_many(function: Callable, jobs: list) -> list:
    return [function(job) for job in jobs]


@EXECUTORS.register("local")
def local_results(function: Callable, jobs: list, workers: int, scheduler: str | None = None) -> Iterator[Any]:
    if scheduler:
        raise ConfigError("--scheduler is for --executor dask")
    if workers == 1 or len(jobs) <= 1:
        yield from map(function, jobs)
        return
    # small chunks keep the load balanced; not too small, or the hand-off costs more than a MIDI parse
    chunksize = max(1, min(64, len(jobs) // (workers * 16)))
    with ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.map(function, jobs, chunksize=chunksize)


def _chunks(jobs: list, size: int) -> Iterable[list]:
    for start in range(0, len(jobs), size):
        yield jobs[start : start + size]


@EXECUTORS.register("dask")
def dask_results(function: Callable, jobs: list, workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """On the cluster at `scheduler` (tcp://HOST:PORT), or on a local cluster of `workers` processes."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--executor dask needs dask.distributed: pip install 'dask[distributed]'") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=10)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({err})") from None
    try:
        ahead = TASKS_AHEAD_PER_WORKER * max(1, len(client.scheduler_info().get("workers", {})) or workers)
        tasks = iter(_chunks(jobs, UNITS_PER_TASK))
        running: deque = deque()
        for chunk in tasks:  # fill the window, then take results in order while topping it up
            running.append(client.submit(_run_many, function, chunk, pure=False))
            if len(running) >= ahead:
                break
        while running:
            results = running.popleft().result()
            next_chunk = next(tasks, None)
            if next_chunk is not None:
                running.append(client.submit(_run_many, function, next_chunk, pure=False))
            yield from results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_jobs(executor: str, function: Callable, jobs: list, workers: int, scheduler: str | None) -> Iterator[Any]:
    return EXECUTORS[executor](function, jobs, workers or os.cpu_count() or 1, scheduler)
