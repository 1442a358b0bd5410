"""Run `tally serve` as its own process, as production does, for the demo, tests and benchmarks."""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(url: str) -> bool:
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
) -> Iterator[str]:
    """Yield the server's base URL once /healthz answers; the server's log is kept for failures.

    `module` is what `python -m` runs: `tally serve` by default, or a benchmark's baseline app.
    `log_path` keeps the server's output where a test can read it (default: a temporary file).
    """
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
                while not _healthy(url):
                    if process.poll() is not None or time.monotonic() > deadline:
                        tail = log_path.read_text()[-3000:]
                        raise RuntimeError(f"{' '.join(module)} did not start:\n{tail}")
                    time.sleep(0.1)
                yield url
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
