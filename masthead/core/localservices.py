"""Start throwaway PostgreSQL / Redis servers on loopback for tests, benchmarks and `prod-demo`.

Each server runs from Debian's packages in its own temporary directory, listens on 127.0.0.1 on a
free port, and is stopped by the process id this module started (never by name). When run as root
the servers run as their packages' system users (PostgreSQL refuses to run as root).

    python -m masthead.core.localservices postgres -- pytest -m "not browser"

starts PostgreSQL, runs the command with DATABASE_URL pointing at it, and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class Unavailable(RuntimeError):
    """The server's binary is not installed and cannot be."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def _as_user(user: str) -> tuple[list[str], str | None]:
    """Command prefix to run as `user` when we are root, and the user to chown to."""
    if os.geteuid() != 0:
        return [], None
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    return ["runuser", "-u", user, "--"], user


@dataclass
class Server:
    name: str
    port: int
    url: str
    proc: subprocess.Popen
    workdir: Path
    extra: dict = field(default_factory=dict)

    def stop(self) -> None:
        """Stop exactly the process we started, then remove its directory."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if self.name == "postgres" else signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def start_postgres(*, dbname: str = "masthead", fsync: bool = False) -> Server:
    """initdb a fresh cluster and start `postgres` on a free loopback port (trust auth)."""
    bindir = postgres_bindir()
    if bindir is None:
        raise Unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    prefix, owner = _as_user("postgres")
    workdir = Path(tempfile.mkdtemp(prefix="masthead-pg-"))
    data = workdir / "data"
    if owner:
        shutil.chown(workdir, owner)
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    port = free_port()
    options = ["-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", str(workdir),
               "-c", "max_connections=200", "-c", "shared_buffers=128MB"]
    if not fsync:
        options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    log = open(workdir / "postgres.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([*prefix, str(bindir / "postgres"), "-D", str(data), *options],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("postgres", port, f"postgres://postgres@127.0.0.1:{port}/{dbname}", proc,
                    workdir, {"bindir": bindir, "log": workdir / "postgres.log"})
    try:
        _wait_for_postgres(bindir, port, proc)
        subprocess.run([str(bindir / "psql"), "-h", "127.0.0.1", "-p",
                        str(port), "-U", "postgres", "-d", "postgres", "-qc",
                        f'CREATE DATABASE "{dbname}"'],
                       check=True, stdout=subprocess.DEVNULL)
    except Exception:
        server.stop()
        raise
    return server


def _wait_for_postgres(bindir: Path, port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"postgres exited with {proc.returncode}")
        ready = subprocess.run([str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p",
                                str(port)], check=False)
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise TimeoutError("PostgreSQL did not become ready within 60 s")


def start_redis() -> Server:
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("Redis is not installed (apt-get install redis-server)")
    prefix, owner = _as_user("redis")
    workdir = Path(tempfile.mkdtemp(prefix="masthead-redis-"))
    if owner:
        shutil.chown(workdir, owner)
    port = free_port()
    proc = subprocess.Popen(
        [*prefix, binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir),
         "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    server = Server("redis", port, f"redis://127.0.0.1:{port}/0", proc, workdir)
    try:
        wait_for_port(port, proc=proc)
    except Exception:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def running(kind: str) -> Iterator[Server]:
    server = {"postgres": start_postgres, "redis": start_redis}[kind]()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv or not argv[: argv.index("--")]:
        print("usage: python -m masthead.core.localservices postgres [redis] -- COMMAND ...",
              file=sys.stderr)
        return 2
    kinds, command = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        for kind in kinds:
            try:
                server = stack.enter_context(running(kind))
            except Unavailable as exc:
                print(f"\n*** SKIPPED: {exc} ***\n", file=sys.stderr)
                return 0
            var = {"postgres": "DATABASE_URL", "redis": "CACHE_URL"}[kind]
            env[var] = server.url
            print(f"{kind} on 127.0.0.1:{server.port} (pid {server.proc.pid})", file=sys.stderr)
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
