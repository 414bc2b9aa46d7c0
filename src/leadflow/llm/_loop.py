"""A private event loop on a daemon thread, so synchronous callers can await model calls.

The orchestrator is synchronous and calls from many worker threads. ``Agent.run_sync`` would make
an event loop per thread, but the provider SDKs' HTTP connection pools belong to the loop that
opened them; one long-lived loop shared by every caller keeps one pool and is safe from any thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["BackgroundLoop"]


class BackgroundLoop:
    """Run coroutines on one event loop owned by a daemon thread, started on first use."""

    def __init__(self, name: str = "leadflow-llm") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop and return a future any thread can wait on."""
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_started())

    def run(self, coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
        """Run ``coro`` and wait for its result.

        Raises:
            TimeoutError: When ``timeout`` seconds pass first; the coroutine is cancelled.
        """
        future = self.submit(coro)
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no result within {timeout}s") from None

    def close(self, *, cleanup: Coroutine[Any, Any, None] | None = None) -> None:
        """Run ``cleanup`` on the loop, stop it and join its thread; a later :meth:`submit` starts anew.

        Args:
            cleanup: A last coroutine to run on the loop, e.g. closing HTTP clients bound to it.
        """
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            if cleanup is not None:
                cleanup.close()
            return
        try:
            asyncio.run_coroutine_threadsafe(_shutdown(cleanup), loop).result(timeout=5)
        except Exception:  # best effort: a stuck task must not keep the process from exiting
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=main, name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop


async def _shutdown(cleanup: Coroutine[Any, Any, None] | None) -> None:
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if cleanup is not None:
        await cleanup
    await asyncio.get_running_loop().shutdown_asyncgens()
