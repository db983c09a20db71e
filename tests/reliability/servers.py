"""Private servers for fault tests: a Redis and a PostgreSQL of their own, on free ports, that a
test may stop and start at will (the machine's shared instances are never touched), and the web
app under gunicorn against them."""

import glob
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- Redis -----------------------------------------------------------------------------------------


class PrivateRedis:
    """``redis-server`` on a free port with no persistence; ``stop()`` and ``start()`` at will."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, 20, "redis to answer")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args: str) -> str:
        out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@contextmanager
def private_redis():
    redis = PrivateRedis()
    if redis.binary is None:
        import pytest

        pytest.skip("redis-server is not installed: the Redis fault test needs a private instance")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


# --- PostgreSQL ------------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throwaway cluster (initdb, trust auth, fsync off) on a free port, run as the ``postgres``
    user when the test runs as root (PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path, max_connections: int = 50):
        self.bindir, self.port, self.max_connections = bindir, free_port(), max_connections
        self.dir = Path(tempfile.mkdtemp(prefix="private-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/studio"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, check=check)

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")
        self.start()
        subprocess.run(["psql", f"postgres://postgres@127.0.0.1:{self.port}/postgres", "-qc", "CREATE DATABASE studio"],
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections={self.max_connections}"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def query(self, sql: str) -> list[tuple]:
        out = subprocess.run(["psql", self.url, "-AtF", "\t", "-c", sql], capture_output=True, text=True, check=True, timeout=60)
        return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def private_postgres(max_connections: int = 50):
    import pytest

    bindir = postgres_bin()
    if bindir is None or shutil.which("psql") is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed: no private instance")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")
    postgres = PrivatePostgres(bindir, max_connections)
    try:
        postgres.init()
    except subprocess.CalledProcessError as exc:
        postgres.destroy()
        pytest.skip(f"could not start a private PostgreSQL: {exc.stderr.strip()[-300:]}")
    try:
        yield postgres
    finally:
        postgres.destroy()


# --- the web app -----------------------------------------------------------------------------------


def manage(env: dict, *args: str) -> str:
    out = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@contextmanager
def gunicorn(env: dict, workers: int = 2):
    """The app under gunicorn on a free port; yields its base ``host:port``."""
    port = free_port()
    log = open(Path(env.get("VAR_DIR", tempfile.gettempdir())) / f"gunicorn-{port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "annotation_site.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--timeout", "60", "--graceful-timeout", "5"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _answers(port) or server.poll() is not None, 120, "gunicorn to answer")
        assert server.poll() is None, Path(log.name).read_text()[-3000:]
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _answers(port: int) -> bool:
    try:
        return call(port, "GET", "/healthz")[0] in (200, 503)
    except OSError:
        return False


def call(port: int, method: str, path: str, token: str | None = None, body: dict | None = None, timeout: float = 60):
    """One HTTP request; ``(status, parsed JSON or None)``. Connection errors are raised (OSError)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return response.status, parsed
