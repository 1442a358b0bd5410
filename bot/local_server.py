"""Run `tally serve` as its own process, as production does, for the demo, tests and benchmarks."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

_STOPPING: list[subprocess.Popen[bytes]] = []  # servers told to stop, not yet exited


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@atexit.register
def _reap_all() -> None:
    while _STOPPING:
        _stop(_STOPPING.pop())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def serving(
    env: Mapping[str, str],
    *,
    module: tuple[str, ...] = ("bot.cli", "serve"),
    startup_seconds: float = 30.0,
    log_path: Path | None = None,
    wait_for_exit: bool = True,
) -> Iterator[str]:
    """Yield the server's base URL once /healthz answers; the server's log is kept for failures.

    `module` is what `python -m` runs: `tally serve` by default, or a benchmark's baseline app.
    `log_path` keeps the server's output where a test can read it (default: a temporary file).
    `wait_for_exit=False` leaves the stopping server to wind down (about 0.7 s) while the caller
    goes on, for one that nothing will open again — a test's server on its own database; it is
    reaped by the next start or at exit.
    """
    _STOPPING[:] = [stopping for stopping in _STOPPING if stopping.poll() is None]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tally-serve-") as logs:
        log_path = log_path or Path(logs) / "serve.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", *module],
                env={**os.environ, **env, "PORT": str(port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + startup_seconds
                while not healthy(url):
                    if process.poll() is not None or time.monotonic() > deadline:
                        tail = log_path.read_text()[-3000:]
                        raise RuntimeError(f"{' '.join(module)} did not start:\n{tail}")
                    time.sleep(0.1)
                yield url
            finally:
                process.terminate()
                if wait_for_exit:
                    _stop(process)
                else:
                    _STOPPING.append(process)
