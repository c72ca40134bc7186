"""`masthead run` serves the site with its worker and stops both on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from masthead.core.localservices import free_port


# django_db so that the test database exists to be copied; the test writes nothing to it.
@pytest.mark.django_db
def test_run_serves_and_stops_its_children(tmp_path, scratch_template, static_root):
    # A copy of the migrated test database and the session's collected static files (test
    # settings: uncompressed), so the test spends its time on `run`, not on migrate and
    # collectstatic (the production storage is collected by tests/edge/test_varnish.py).
    db = scratch_template.copy(tmp_path)
    port = free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": db.url,
           "DJANGO_SETTINGS_MODULE": "masthead.test_settings", "STATIC_ROOT": str(static_root),
           "SECRET_KEY": "test", "PORT": str(port), "TASK_BACKEND": "database"}
    proc = subprocess.Popen([sys.executable, "-m", "masthead.cli", "run"], env=env)
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
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
