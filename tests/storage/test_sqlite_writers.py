"""SQLite writers queue in line: many threads in several processes all get their rows in, and a
writer that can't get its turn in time is told the database is busy, holding nothing."""

import multiprocessing
import threading
from contextlib import suppress
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from storage.db import Waits, database_trouble, joined_write, make_engine, make_session_factory

THREADS, ROWS = 8, 40


def _write_rows(engine: Engine, process: int) -> None:
    engine.dispose(close=False)  # as gunicorn's workers do after the fork (bot/server.py)

    def rows(thread: int) -> None:
        for n in range(ROWS):
            with engine.begin() as connection:
                total = connection.execute(text("SELECT COUNT(*) FROM t")).scalar_one()
                connection.execute(
                    text("INSERT INTO t VALUES (:who, :seen)"),
                    {"who": f"{process}-{thread}-{n}", "seen": total},
                )

    threads = [threading.Thread(target=rows, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_writers_of_forked_processes_each_get_every_row_in_one_at_a_time(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tally.db'}", waits=Waits(10_000, None))
    with engine.begin() as connection:  # the parent writes first, as `tally serve` migrates
        connection.execute(text("CREATE TABLE t (who TEXT UNIQUE, seen INTEGER)"))
    engine.dispose()  # and closes its connections before forking, as bot/server.py's pre_fork
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_rows, args=(engine, p)) for p in range(2)]
    for process in processes:
        process.start()
    _write_rows(engine, 2)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0

    with engine.connect() as connection:
        seen = connection.execute(text("SELECT seen FROM t ORDER BY seen")).scalars().all()
    # Every write saw every write before it: one writer at a time, none lost.
    assert seen == list(range(3 * THREADS * ROWS))


def _log_rows(engine: Engine, process: int) -> None:
    """As `_write_rows`, through /log's path: the process's one writer, shared by its threads."""
    engine.dispose(close=False)
    sessions = make_session_factory(engine)

    def rows(thread: int) -> None:
        for n in range(ROWS):
            with suppress(_Undone), joined_write(sessions) as session:
                total = session.execute(text("SELECT COUNT(*) FROM t")).scalar_one()
                session.execute(
                    text("INSERT INTO t VALUES (:who, :seen)"),
                    {"who": f"{process}-{thread}-{n}", "seen": total},
                )
                if n % 7 == 3:  # now and then a request fails after writing: none of it stays
                    raise _Undone

    threads = [threading.Thread(target=rows, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class _Undone(Exception):
    pass


def test_request_threads_of_forked_processes_share_a_writer_and_write_one_at_a_time(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tally.db'}", waits=Waits(10_000, None))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (who TEXT UNIQUE, seen INTEGER)"))
    engine.dispose()
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_log_rows, args=(engine, p)) for p in range(2)]
    for process in processes:
        process.start()
    _log_rows(engine, 2)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0

    with engine.connect() as connection:
        seen = connection.execute(text("SELECT seen FROM t ORDER BY seen")).scalars().all()
        kept = connection.execute(text("SELECT who FROM t")).scalars().all()
    # Every write saw every write before it, none lost, and no failed request's row stayed.
    assert seen == list(range(len(seen)))
    assert all(int(who.rsplit("-", 1)[1]) % 7 != 3 for who in kept)
    assert len(kept) == 3 * THREADS * len([n for n in range(ROWS) if n % 7 != 3])


def test_a_writer_kept_waiting_past_its_time_is_told_the_database_is_busy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tally.db'}"
    engine = make_engine(url, waits=Waits(lock_ms=200, statement_ms=None))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    with pytest.raises(OperationalError) as refused, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
    done.set()
    holder.join()

    assert database_trouble(refused.value) == "database is locked"
    with engine.begin() as connection:  # the refused writer left nothing held behind
        connection.execute(text("INSERT INTO t VALUES (3)"))
        assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 3]
