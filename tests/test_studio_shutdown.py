"""`musicae studio` stops soon after SIGTERM even while a long job runs (issue 26, item 14): the request in
flight gets its grace period, and the job's thread does not hold the process open until the job ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

# The studio as `musicae studio` runs it, but with sampling replaced by a job far longer than any bound.
SERVER = """
import sys, time
from pathlib import Path
from musicae.studio.service import Studio

def endless_sample(self, *args, **kwargs):
    Path(sys.argv[2]).write_text("started")
    time.sleep({job_seconds})
    return {{"finished": True}}

Studio.sample = endless_sample
from musicae.cli import main
sys.exit(main(["studio", "--port", sys.argv[1]]))
"""

JOB_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_sigterm_stops_the_studio_while_a_long_job_runs(tmp_path: Path):
    port, started = free_port(), tmp_path / "started"
    script = tmp_path / "server.py"
    script.write_text(SERVER.format(job_seconds=JOB_SECONDS))
    server = subprocess.Popen([sys.executable, str(script), str(port), str(started)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:
        wait_for(lambda: listening(port) or server.poll() is not None, 120, "the studio to listen")
        assert server.poll() is None, server.stdout.read().decode()

        answers = []

        def ask():  # the client waits for the job; it gets an answer or a closed connection, never the result
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/sample", data=b"n=1", method="POST",
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
            try:
                with urllib.request.urlopen(request, timeout=JOB_SECONDS + 30) as response:
                    answers.append(response.read())
            except Exception as err:  # noqa: BLE001 - any way of being cut off will do
                answers.append(err)

        client = threading.Thread(target=ask, daemon=True)
        client.start()
        wait_for(started.exists, 30, "the job to start")

        sent = time.monotonic()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=JOB_SECONDS / 2)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the studio was still running {JOB_SECONDS / 2:.0f} s after SIGTERM: it waits for the job")
        stopped_after = time.monotonic() - sent
        client.join(timeout=10)
        # The job would have run 90 s; the server gives requests in flight 5 s, then stops. The margin below
        # is for a loaded machine, not a speed figure: what fails here is waiting for the job.
        assert stopped_after < 20, f"stopped {stopped_after:.1f} s after SIGTERM"
        assert answers and not (isinstance(answers[0], bytes) and b"finished" in answers[0])
        log = server.stdout.read().decode()
        assert "Traceback" not in log, log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
