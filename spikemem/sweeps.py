"""Sweeps of independent runs, chunk by chunk: in this process, or on a Dask cluster.

A sweep is a list of chunks (argument tuples) and a module-level work function; the result is
[work(*chunk) for chunk in chunks], in chunk order, wherever the chunks ran. Models supply the
work functions and the chunks (seeds are part of a chunk's arguments, so a chunk computes the
same thing on any worker); this module imports no model and no backend.

Options, as the CLI spells them: --workers N starts a distributed.LocalCluster of N worker
processes for the sweep; --scheduler ADDRESS uses a running cluster; neither runs in-process.
A chunk whose worker dies is submitted again (up to `retries` times); finished chunks are
gathered as they complete, so a lost worker loses only what it was running. Progress counts
finished trials across chunks. Exceptions raised by a work function are not retried: they are
the run's errors and propagate.
"""
from __future__ import annotations

import logging

from .errors import SpikememError, ValidationError
from .log import get_logger
from .optional import require
from .progress import Progress

log = get_logger(__name__)


def add_sweep_args(p) -> None:
    """--workers / --scheduler on a CLI command that runs a sweep."""
    from .description.validation import flag, threads
    p.add_argument("--workers", type=flag(threads, int), default=None,
                   help="run the sweep's chunks on a local Dask cluster of this many worker processes "
                        "(pip install 'spikemem[dask]')")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the sweep's chunks on a running Dask cluster, e.g. tcp://host:8786")


def sweep_options(args) -> dict:
    from .description.validation import threads
    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is not None:
        threads("workers", workers)
    if workers is not None and scheduler is not None:
        raise ValidationError("workers", workers, "give --workers or --scheduler, not both")
    if scheduler is not None:
        check_scheduler(scheduler)
    return {"workers": workers, "scheduler": scheduler}


SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")


def check_scheduler(address) -> str:
    """A Dask scheduler address, [protocol://]host:port, checked before anything connects."""
    rule = f"must be a Dask scheduler address [protocol://]host:port (protocols {', '.join(SCHEMES)})"
    if not isinstance(address, str) or not address.strip():
        raise ValidationError("scheduler", address, rule)
    scheme, sep, rest = address.rpartition("://")
    if sep and scheme not in SCHEMES:
        raise ValidationError("scheduler", address, rule)
    if scheme == "inproc":
        return address
    host, colon, port = rest.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c in host for c in " /,"):
        raise ValidationError("scheduler", address, rule)
    return address


def run_chunks(work, chunks, *, workers: int | None = None, scheduler: str | None = None, label: str = "sweep",
               sizes=None, progress: bool | None = None, retries: int = 3, on_chunk=None) -> list:
    """[work(*chunk) for chunk in chunks], in order. sizes: trials per chunk (for progress);
    on_chunk(k, client): called after chunk k finished (client is None in-process)."""
    chunks = [tuple(c) for c in chunks]
    sizes = list(sizes) if sizes is not None else [1] * len(chunks)
    bar = Progress(sum(sizes), label, enabled=progress)
    try:
        if workers is None and scheduler is None:
            out = []
            for k, chunk in enumerate(chunks):
                out.append(work(*chunk))
                bar.update(sizes[k])
                if on_chunk:
                    on_chunk(k, None)
            return out
        return _on_dask(work, chunks, workers, scheduler, label, sizes, bar, retries, on_chunk)
    finally:
        bar.close()


def _on_dask(work, chunks, workers, scheduler, label, sizes, bar, retries, on_chunk) -> list:
    distributed = require("distributed", "dask")
    from distributed.scheduler import KilledWorker
    cluster = None
    if scheduler is None:
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
        scheduler = cluster
    try:
        client = distributed.Client(scheduler)
    except (OSError, ValueError, TypeError) as e:     # no scheduler there (distributed waits its connect timeout)
        if cluster is not None:
            cluster.close()
        raise ValidationError("scheduler", scheduler if isinstance(scheduler, str) else "local cluster",
                              f"cannot be reached ({type(e).__name__}: {str(e)[:120]})") from None
    try:
        log.info("%s: %d chunk(s) on %s", label, len(chunks), client.scheduler.address)
        results, tries, pending = [None] * len(chunks), [0] * len(chunks), {}

        def submit(k):
            tries[k] += 1
            fut = client.submit(work, *chunks[k], pure=False, key=f"{label}-chunk{k}-try{tries[k]}-{id(results)}")
            pending[fut.key] = k
            return fut

        done = distributed.as_completed([submit(k) for k in range(len(chunks))])
        for fut in done:
            k = pending.pop(fut.key)
            try:
                results[k] = fut.result()
            except KilledWorker as err:
                if tries[k] > retries:
                    raise SpikememError(f"{label}: chunk {k} lost its worker {tries[k]} times ({err})") from err
                log.warning("%s: chunk %d lost its worker; submitting it again", label, k)
                done.add(submit(k))
                continue
            finally:
                fut.release()
            bar.update(sizes[k])
            if on_chunk:
                on_chunk(k, client)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
