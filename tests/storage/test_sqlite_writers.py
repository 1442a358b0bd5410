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


def _write_rows(engine: Engine, process: int, joined: bool) -> None:
    """THREADS threads each write ROWS rows, every row with how many it saw before it, either
    on pooled connections (`engine.begin`) or through /log's path, the process's one writer
    (`joined_write`); now and then a transaction fails after writing, and none of it stays."""
    engine.dispose(close=False)  # as gunicorn's workers do after the fork (bot/server.py)
    sessions = make_session_factory(engine)

    def rows(thread: int) -> None:
        for n in range(ROWS):
            with suppress(_Undone), joined_write(sessions) if joined else engine.begin() as tx:
                total = tx.execute(text("SELECT COUNT(*) FROM t")).scalar_one()
                tx.execute(
                    text("INSERT INTO t VALUES (:who, :seen)"),
                    {"who": f"{process}-{thread}-{n}", "seen": total},
                )
                if n % 7 == 3:
                    raise _Undone

    threads = [threading.Thread(target=rows, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class _Undone(Exception):
    pass


@pytest.mark.parametrize("joined", [False, True], ids=["pooled", "shared-writer"])
def test_writers_of_forked_processes_each_get_every_row_in_one_at_a_time(
    tmp_path: Path, joined: bool
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tally.db'}", waits=Waits(10_000, None))
    with engine.begin() as connection:  # the parent writes first, as `tally serve` migrates
        connection.execute(text("CREATE TABLE t (who TEXT UNIQUE, seen INTEGER)"))
    engine.dispose()  # and closes its connections before forking, as bot/server.py's pre_fork
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_rows, args=(engine, p, joined)) for p in range(2)]
    for process in processes:
        process.start()
    _write_rows(engine, 2, joined)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0

    with engine.connect() as connection:
        seen = connection.execute(text("SELECT seen FROM t ORDER BY seen")).scalars().all()
        kept = connection.execute(text("SELECT who FROM t")).scalars().all()
    # Every write saw every write before it: one writer at a time, none lost, none undone kept.
    assert seen == list(range(3 * THREADS * len([n for n in range(ROWS) if n % 7 != 3])))
    assert all(int(who.rsplit("-", 1)[1]) % 7 != 3 for who in kept)


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
