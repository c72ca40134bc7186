"""`masthead run` serves the site with its worker and stops both on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_serves_and_stops_its_children(tmp_path):
    port = _free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "masthead.settings",
           "SECRET_KEY": "test", "PORT": str(port), "TASK_BACKEND": "database"}
    subprocess.run([sys.executable, "-m", "masthead.cli", "migrate", "-v0"], env=env, check=True)
    proc = subprocess.Popen([sys.executable, "-m", "masthead.cli", "run"], env=env)
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        assert b'"status": "ok"' in body
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                  text=True).stdout.split()
        assert len(children) == 2  # the web server and the worker
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)
