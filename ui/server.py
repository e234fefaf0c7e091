"""Run the web app with uvicorn in a background thread (tests, benchmarks) or in the foreground (serve)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_in_thread(
    app: Any, host: str = "127.0.0.1", port: int | None = None, timeout: float = 30.0
) -> RunningServer:
    """Start ``app`` on ``host:port`` (a free port when None) and wait until it accepts connections."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"longtail-web-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(
                f"The web app did not start on {host}:{port} within {timeout:g} s "
                f"(is the port taken? pick another with --port)."
            )
        time.sleep(0.05)
    return RunningServer(f"http://{host}:{port}", server, thread)
