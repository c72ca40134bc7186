"""Start throwaway PostgreSQL / Redis servers on loopback for tests, benchmarks and `prod-demo`.

Each server runs from Debian's packages in its own temporary directory, listens on 127.0.0.1 on a
free port, and is stopped by the process id this module started (never by name). When run as root
the servers run as their packages' system users (PostgreSQL refuses to run as root).

    python -m masthead.core.localservices postgres -- pytest -m "not browser"

starts PostgreSQL, runs the command with DATABASE_URL pointing at it, and stops it afterwards.
`redis` sets CACHE_URL; `varnish` (deploy/varnish/masthead.vcl in front of the app listening on
127.0.0.1:$VARNISH_BACKEND_PORT) sets VARNISH_URLS. start_app(), start_worker() and
start_nginx_static() run the app server, the worker and a static-file nginx the same way;
server_stack(), started() and load_demo() are what a run of several of them shares.
"""

from __future__ import annotations

import contextlib
import glob
import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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
            if self.name == "postgres":
                # Fast shutdown (SIGINT). As root, runuser does not pass SIGINT on: signal the
                # process group started here (start_new_session), i.e. runuser and postgres.
                os.killpg(self.proc.pid, signal.SIGINT)
            else:
                self.proc.send_signal(signal.SIGTERM)
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


def start_postgres(*, dbname: str = "masthead", fsync: bool = False,
                   datadir: Path | str | None = None, port: int | None = None) -> Server:
    """initdb a fresh cluster and start `postgres` on a free loopback port (trust auth).

    With `datadir`, the cluster lives there instead of in the temporary directory: initdb'd on
    first use, reused (database kept) afterwards and left in place by stop(), so a benchmark can
    seed it once. With `port` too, a stopped server starts again where clients expect it (a
    restart under traffic, tests/faults/test_postgres_restart.py)."""
    bindir = postgres_bindir()
    if bindir is None:
        raise Unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    prefix, owner = _as_user("postgres")
    workdir = Path(tempfile.mkdtemp(prefix="masthead-pg-"))
    data = Path(datadir).resolve() if datadir else workdir / "data"
    if owner:
        shutil.chown(workdir, owner)
    reuse = (data / "PG_VERSION").exists()
    if datadir and not reuse:
        data.mkdir(parents=True, exist_ok=True)
        if owner:
            shutil.chown(data, owner)
    if not reuse:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
    port = port or free_port()
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
        psql = [str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                "-d", "postgres", "-qAtc"]
        exists = reuse and subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'"],
            check=True, capture_output=True, text=True).stdout.strip() == "1"
        if not exists:
            subprocess.run([*psql, f'CREATE DATABASE "{dbname}"'],
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


# --- The production stack on loopback: the app, Varnish in front, nginx for static baselines.
# Used by `masthead prod-demo`, tests/edge and the benchmarks. Varnish drops root by itself (to
# Debian's `varnish` and `vcache` users); nginx's workers run as the owner of what they serve.

REPO_DIR = Path(__file__).resolve().parents[2]
VARNISH_VCL = REPO_DIR / "deploy" / "varnish" / "masthead.vcl"


def _binary(name: str, package: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None)
    if found is None:
        raise Unavailable(f"{name} is not installed (apt-get install {package})")
    return found


def log_tail(path: Path, size: int = 3000) -> str:
    """The end of a server's log, for error messages."""
    try:
        return path.read_bytes()[-size:].decode(errors="replace")
    except OSError:
        return ""


def _sub_once(pattern: str, replacement: str, text: str, what: str) -> str:
    new, count = re.subn(pattern, lambda m: m.group(1) + replacement, text,
                         flags=re.DOTALL | re.MULTILINE)
    if count != 1:
        raise ValueError(f"the VCL template must have exactly one {what} ({count} found)")
    return new


def render_vcl(backend_port: int, *, backend_host: str = "127.0.0.1", vcl: Path | None = None,
               purgers: list[str] | None = None, grace: str | None = None) -> str:
    """deploy/varnish/masthead.vcl (or `vcl`) for the app at `backend_host:backend_port`.

    `purgers` replaces the entries of the `purgers` ACL ("127.0.0.1", "10.0.0.0/8", ...);
    `grace`, a VCL duration such as "1h", how long objects are kept past their TTL for when
    the app is down (24h in the file).
    """
    text = (vcl or VARNISH_VCL).read_text()
    text = _sub_once(r'(backend app \{[^}]*?\.host = )"[^"]*";', f'"{backend_host}";', text,
                     "backend app .host")
    text = _sub_once(r'(backend app \{[^}]*?\.port = )"[^"]*";', f'"{int(backend_port)}";', text,
                     "backend app .port")
    if purgers is not None:
        entries = "".join(
            f'    "{address}"/{bits};\n' if bits else f'    "{address}";\n'
            for address, _, bits in (entry.partition("/") for entry in purgers))
        text = _sub_once(r"(acl purgers \{\n).*?(?=^\})", entries, text, "acl purgers")
    if grace is not None:
        text = _sub_once(r"(set beresp\.grace = )[0-9.]+[a-z]+;", f"{grace};", text,
                         "set beresp.grace")
    return text


def start_varnish(backend_port: int, *, vcl: Path | None = None, grace: str | None = None,
                  purgers: list[str] | None = None, backend_host: str = "127.0.0.1",
                  port: int | None = None, storage: str = "malloc,256m",
                  wait_healthy: bool = True, builtin: bool = False,
                  params: tuple[str, ...] = ()) -> Server:
    """varnishd in the foreground on 127.0.0.1 (`port` or a free one), in front of the app.

    The VCL is deploy/varnish/masthead.vcl rendered by render_vcl(). With `wait_healthy`, returns
    once the health probe has found the app up. server.extra holds the admin port, the instance
    directory (for `varnishadm -n` / `varnishstat -n`, see varnishadm()) and the log.

    `builtin=True` starts Varnish with none of our VCL (`-b host:port`, Varnish's built-in VCL,
    no probe): the benchmark's floor for what Varnish itself costs per cache hit. `params` are
    extra varnishd arguments (`-p name=value` pairs).
    """
    binary = _binary("varnishd", "varnish")
    workdir = Path(tempfile.mkdtemp(prefix="masthead-varnish-"))
    workdir.chmod(0o755)  # varnishd reads the VCL as its own unprivileged user
    vcl_path = workdir / "masthead.vcl"
    if builtin:
        config = ["-b", f"{backend_host}:{backend_port}"]
        wait_healthy = False
    else:
        if not glob.glob("/usr/lib/*/varnish/vmods/libvmod_xkey.so"):
            shutil.rmtree(workdir, ignore_errors=True)
            raise Unavailable("Varnish's xkey vmod is not installed "
                              "(apt-get install varnish-modules)")
        vcl_path.write_text(render_vcl(backend_port, backend_host=backend_host, vcl=vcl,
                                       purgers=purgers, grace=grace))
        vcl_path.chmod(0o644)
        config = ["-f", str(vcl_path)]
    port, admin_port = port or free_port(), free_port()
    log_path = workdir / "varnishd.log"
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [binary, "-F", "-a", f"127.0.0.1:{port}", "-T", f"127.0.0.1:{admin_port}",
         *config, "-n", str(workdir / "instance"), "-s", storage, *params],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("varnish", port, f"http://127.0.0.1:{port}", proc, workdir,
                    {"admin_port": admin_port, "instance": workdir / "instance", "log": log_path,
                     "vcl": vcl_path, "backend": f"{backend_host}:{backend_port}"})
    try:
        wait_for_port(port, timeout=60, proc=proc)
        if wait_healthy:
            wait_for_backend(server, healthy=True)
    except Exception as exc:
        tail = log_tail(log_path)
        server.stop()
        raise RuntimeError(f"Varnish did not start: {exc}\n{tail}") from exc
    return server


def varnishadm(server: Server, *args: str) -> str:
    """Run a varnishadm command against a Varnish started by start_varnish()."""
    return subprocess.run(["varnishadm", "-n", str(server.extra["instance"]), *args],
                          check=True, capture_output=True, text=True, timeout=10).stdout


def varnish_backend_healthy(server: Server) -> bool:
    """What Varnish's health probe currently thinks of the app."""
    listing = json.loads(varnishadm(server, "backend.list", "-j"))
    return all(b.get("probe_message", ["", "", ""])[2] == "healthy" for b in listing[3].values())


def wait_for_backend(server: Server, *, healthy: bool, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while varnish_backend_healthy(server) != healthy:
        if time.monotonic() > deadline:
            raise TimeoutError(f"Varnish's probe did not find the app {'up' if healthy else 'down'}"
                               f" within {timeout} s")
        time.sleep(0.1)


def varnish_counter(server: Server, name: str) -> int:
    """A varnishstat counter, e.g. MAIN.backend_req (requests sent to the app)."""
    out = subprocess.run(["varnishstat", "-n", str(server.extra["instance"]), "-1", "-j",
                          "-f", name], check=True, capture_output=True, text=True, timeout=10)
    return int(json.loads(out.stdout)["counters"][name]["value"])


NGINX_STATIC_CONF = """\
daemon off;
master_process on;
worker_processes 1;
{user}
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=10000 inactive=60s;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""


def start_nginx_static(root: Path, *, port: int | None = None) -> Server:
    """nginx serving the directory `root` on 127.0.0.1 (`port` or a free one): a baseline."""
    binary = _binary("nginx", "nginx-light")
    root = Path(root).resolve()
    workdir = Path(tempfile.mkdtemp(prefix="masthead-nginx-"))
    port = port or free_port()
    user = ""
    if os.geteuid() == 0:  # workers as whoever owns the files, so they can read them
        st = root.stat()
        user = f"user {pwd.getpwuid(st.st_uid).pw_name} {grp.getgrgid(st.st_gid).gr_name};"
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_STATIC_CONF.format(user=user, workdir=workdir, port=port, root=root))
    proc = subprocess.Popen(
        [binary, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("nginx", port, f"http://127.0.0.1:{port}", proc, workdir,
                    {"log": workdir / "error.log", "root": root})
    try:
        wait_for_port(port, proc=proc)
    except Exception as exc:
        tail = log_tail(workdir / "error.log")
        server.stop()
        raise RuntimeError(f"nginx did not start: {exc}\n{tail}") from exc
    return server


def _masthead(*args: str) -> list[str]:
    return [sys.executable, "-m", "masthead.cli", *args]


def start_app(env: dict, *, port: int | None = None, workers: int = 2,
              timeout: float = 120.0) -> Server:
    """`masthead serve` (granian) on 127.0.0.1, ready once /healthz answers 200.

    `env` is the server's whole environment (DATABASE_URL, VAR_DIR, ...). Its output goes to
    server.extra["log"].
    """
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="masthead-app-"))
    log_path = workdir / "app.log"
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        _masthead("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        env={**env, "PYTHONUNBUFFERED": "1"}, cwd=REPO_DIR, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("app", port, f"http://127.0.0.1:{port}", proc, workdir, {"log": log_path})
    try:
        _wait_for_ok(f"{server.url}/healthz", proc, timeout)
    except Exception as exc:
        tail = log_tail(log_path)
        server.stop()
        raise RuntimeError(f"the app server did not start: {exc}\n{tail}") from exc
    return server


def _wait_for_ok(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


def start_worker(env: dict, *, timeout: float = 60.0) -> Server:
    """`masthead worker` with `env` as its whole environment, once it has started polling."""
    workdir = Path(tempfile.mkdtemp(prefix="masthead-worker-"))
    log_path = workdir / "worker.log"
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the worker
    proc = subprocess.Popen(_masthead("worker"), env={**env, "PYTHONUNBUFFERED": "1"},
                            cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = Server("worker", 0, "", proc, workdir, {"log": log_path})
    deadline = time.monotonic() + timeout
    while b"Worker running" not in log_path.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log_tail(log_path)
            server.stop()
            raise RuntimeError(f"the worker did not start\n{tail}")
        time.sleep(0.1)
    return server


# --- A run that starts several servers (load/run.py, audit/, `masthead prod-demo`) and stops
# every one of them, by process id, however it ends.

def _interrupt(signum, frame):
    raise KeyboardInterrupt


@contextlib.contextmanager
def server_stack(*, say=print, stopping: str | None = None) -> Iterator[contextlib.ExitStack]:
    """An ExitStack for the servers of a run (see started()), closed however the block ends.

    SIGTERM raises KeyboardInterrupt in the block, as Ctrl-C does, so that a terminated run
    still stops what it started. While the stack closes, SIGINT and SIGTERM are ignored (and
    stay ignored) so that the stops are not cut short; `stopping` is said first.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.ExitStack() as stack:
        try:
            yield stack
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_IGN)
            if stopping:
                say(stopping)


def started(stack: contextlib.ExitStack, server: Server, *, say=print) -> Server:
    """`server`, stopped (by its process id) when `stack` closes; says where it runs."""
    stack.callback(server.stop)
    where = [f"pid {server.proc.pid}"]
    if server.port:
        where.append(f"port {server.port}")
    if "log" in server.extra:
        where.append(f"log {server.extra['log']}")
    say(f"  {server.name} started ({', '.join(where)})")
    return server


def load_demo(env: dict, *, articles: int = 0, quiet: bool = False) -> None:
    """Migrate the database of `env` (a whole environment, as start_app() takes), load the demo
    magazine and `articles` more seeded articles, and build the search index. `quiet` hides
    the commands' output (errors still show)."""
    commands = [["migrate", "--noinput", "-v0"], ["demo"]]
    if articles:
        commands.append(["seed", "--articles", str(articles)])
    commands.append(["search-rebuild", "-v0"])
    for command in commands:
        subprocess.run(_masthead(*command), env=env, cwd=REPO_DIR, check=True,
                       stdout=subprocess.DEVNULL if quiet else None)


@contextlib.contextmanager
def running(kind: str, **options) -> Iterator[Server]:
    """A server of `kind` (postgres, redis, varnish: pass backend_port=) stopped on exit."""
    starters = {"postgres": start_postgres, "redis": start_redis, "varnish": start_varnish}
    server = starters[kind](**options)
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv or not argv[: argv.index("--")]:
        print("usage: python -m masthead.core.localservices postgres [redis] [varnish] -- COMMAND"
              " ...\n(varnish fronts the app at 127.0.0.1:$VARNISH_BACKEND_PORT)", file=sys.stderr)
        return 2
    kinds, command = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    if "varnish" in kinds and not os.environ.get("VARNISH_BACKEND_PORT", "").isdigit():
        print("varnish needs the app's port in VARNISH_BACKEND_PORT", file=sys.stderr)
        return 2
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        for kind in kinds:
            options = {}
            if kind == "varnish":  # the app may start later (inside COMMAND): do not wait for it
                options = {"backend_port": int(env["VARNISH_BACKEND_PORT"]), "wait_healthy": False}
            try:
                server = stack.enter_context(running(kind, **options))
            except Unavailable as exc:
                print(f"\n*** SKIPPED: {exc} ***\n", file=sys.stderr)
                return 0
            var = {"postgres": "DATABASE_URL", "redis": "CACHE_URL",
                   "varnish": "VARNISH_URLS"}[kind]
            env[var] = server.url
            print(f"{kind} on 127.0.0.1:{server.port} (pid {server.proc.pid})", file=sys.stderr)
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
