"""SQLite writers wait their turn in line instead of asleep in SQLite's busy handler.

SQLite lets one writer in at a time; the others retry BEGIN IMMEDIATE from its busy handler,
which sleeps 1, 2, 5 … 25, 50, 100 ms between tries. Under load most of a `/log`'s time went
there (a p99 of 1.7 s at 8 connections), while the lock itself was free most of that time.
Here writers of one process queue on a thread lock, and processes on an flock of a file beside
the database, held from BEGIN IMMEDIATE to the end of COMMIT or ROLLBACK; busy_timeout stays as
the backstop for a writer that doesn't take part. No library does this: SQLAlchemy and the
sqlite3 module leave locking to SQLite, and Python can't install a busy handler of its own.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy.exc import OperationalError

_POLL_S = (0.0002, 0.0005, 0.001, 0.002)  # another process's turn: look again this soon


class WriterLine:
    """The line for one database file: one thread of this process at a time holds the flock."""

    def __init__(self, path: str, wait_s: float) -> None:
        self._path = f"{path}-writers.lock"
        self._wait_s = wait_s
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def enter(self) -> None:
        """Wait for this process's turn, then the other processes'; raise OperationalError
        ("database is locked", as SQLite says it) after `wait_s`, having taken nothing."""
        deadline = time.monotonic() + self._wait_s
        if not self._lock.acquire(timeout=self._wait_s):
            raise _locked()
        try:
            fd = self._file()
            for attempt in itertools.count():
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise _locked() from None
                    time.sleep(_POLL_S[min(attempt, len(_POLL_S) - 1)])
        except BaseException:
            self._lock.release()
            raise

    def leave(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()

    def _file(self) -> int:
        """Opened in this process: a descriptor inherited across gunicorn's fork would share
        its flock with the parent and every sibling, so it would exclude none of them."""
        if self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600)
            self._pid = os.getpid()
        assert self._fd is not None
        return self._fd


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


class LinedConnection(sqlite3.Connection):
    """A sqlite3 connection that leaves the line once its transaction has ended, not before:
    SQLAlchemy's commit and rollback events run before the driver's COMMIT."""

    line: WriterLine | None = None
    _in_line = False

    def begin_writing(self) -> None:
        """Take this connection's turn; call `stop_writing` if BEGIN itself then fails."""
        assert self.line is not None and not self._in_line
        self.line.enter()
        self._in_line = True

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.stop_writing()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.stop_writing()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.stop_writing()

    def stop_writing(self) -> None:
        if self._in_line and self.line is not None:
            self._in_line = False
            self.line.leave()


def lined(line: WriterLine) -> dict[str, Any]:
    """connect_args for an engine whose writers wait in `line`."""
    return {"factory": type("Lined", (LinedConnection,), {"line": line})}
