"""Envelope verification for large batches, on another core.

Ed25519 verification is most of an envelope's cost on receipt, and one Python process
runs one core at a time: the HTTP views, parsing and the store's writer thread already
share it. So a batch of many envelopes is verified in a worker process while this one
goes on serving and storing; small batches are verified inline, where a process hop
would cost more than it saves.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from protocol import Envelope, RemoteProtocolError, envelope_id, parse_envelope, verify

#: (id, None, None) for an envelope that verifies, (None, code, message) otherwise.
Verdict = tuple[str | None, str | None, str | None]
#: A verdict, and the envelope when it was parsed in this process (else None).
Checked = tuple[Verdict, Envelope | None]


def _watch(parent: int) -> None:
    """Runs in each worker: exit when the node's process is gone (even after kill -9),
    instead of waiting forever on a queue nobody will write to."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)

    threading.Thread(target=watch, name="nst-parent-watch", daemon=True).start()


def verify_raws(raws: list[bytes]) -> list[Verdict]:
    """Parse and verify each envelope on its own (runs in the worker process)."""
    return [verdict for verdict, _ in _check(raws)]


def _check(raws: list[bytes]) -> list[Checked]:
    # Phase by phase over the batch (parse all, verify all, identify all) rather than
    # envelope by envelope: each phase's code and tables stay in the CPU's caches, which
    # the signature check's would otherwise evict between envelopes.
    out: list[Checked] = []
    for raw in raws:
        try:
            out.append(((None, None, None), parse_envelope(raw)))
        except RemoteProtocolError as exc:
            out.append(((None, str(exc.code), exc.message), None))
    for i, (_, env) in enumerate(out):
        if env is not None:
            try:
                verify(env)
            except RemoteProtocolError as exc:
                out[i] = ((None, str(exc.code), exc.message), None)
    for i, (_, env) in enumerate(out):
        if env is not None:
            out[i] = ((envelope_id(env), None, None), env)
    return out


class Verifier:
    def __init__(self, workers: int = 1, min_batch: int = 64) -> None:
        self.workers = workers
        self.min_batch = min_batch
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: the worker does not inherit this process's threads and sockets.
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_watch, initargs=(os.getpid(),)
            )
        return self._pool

    async def verify(self, raws: list[bytes]) -> list[Checked]:
        """Verdicts in input order, with the envelopes parsed here (those verified in a
        worker come without: parsing again costs less than sending them back). A large
        batch is split: the workers take their shares while this process verifies the
        first share itself."""
        if self.workers <= 0 or len(raws) < self.min_batch:
            return _check(raws)
        loop = asyncio.get_running_loop()
        step = -(-len(raws) // (self.workers + 1))
        mine, rest = raws[:step], raws[step:]
        futures = [
            loop.run_in_executor(self._executor(), verify_raws, rest[i : i + step])
            for i in range(0, len(rest), step)
        ]
        checked = _check(mine)
        for part in await asyncio.gather(*futures):
            checked.extend((verdict, None) for verdict in part)
        return checked

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
