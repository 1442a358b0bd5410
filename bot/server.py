"""`tally serve`: gunicorn's threaded workers in front of the Bolt app, the way production runs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from sqlalchemy import Engine

from bot.settings import Settings

SWITCH_INTERVAL_S = 0.001


class TallyServer(BaseApplication):
    """The app is built once in the master, which closes its database connections before each
    fork: an SQLite connection carried into a child shares SQLite's per-process lock state
    with it, and a child's writes could then go to a WAL another process deletes (a forked-
    writers test lost two thirds of its rows once in CI). Each worker still drops what it
    inherits without closing it (PostgreSQL's sockets are the master's)."""

    def __init__(
        self, wsgi: Callable[..., Iterable[bytes]], engine: Engine, settings: Settings
    ) -> None:
        self.application = wsgi
        self.engine = engine
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"0.0.0.0:{self.settings.port}",
            "workers": self.settings.web_workers,
            "worker_class": "gthread",
            "threads": self.settings.web_threads,
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": 5,
            "pre_fork": lambda _server, _worker: self.engine.dispose(),
            "post_fork": self._post_fork,
        }
        if "control_socket_disable" in self.cfg.settings:
            options["control_socket_disable"] = (
                True  # gunicorn 24+: parallel servers would share it
            )
        for key, value in options.items():
            self.cfg.set(key, value)

    def _post_fork(self, _server: object, _worker: object) -> None:
        self.engine.dispose(close=False)
        # A thread whose database reply has come back waits for the GIL behind the others'
        # Python work for up to the switch interval, 5 ms by default, at every round trip.
        sys.setswitchinterval(SWITCH_INTERVAL_S)

    def load(self) -> Callable[..., Iterable[bytes]]:
        return self.application
