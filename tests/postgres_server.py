"""A private PostgreSQL cluster for the archive tests: initdb in a temp folder, a free port, stopped after.

Use it with ``pytest_plugins = ["postgres_server"]`` (tests/ is on sys.path) and the
``postgres_url`` fixture. PostgreSQL refuses to run as root, so when the tests run as root the
cluster belongs to the ``postgres`` user (created by the Debian package) and the commands run
through ``runuser``. The tests are skipped, with the reason, only when no PostgreSQL server binaries
are installed (``.ci/run`` installs the Debian ``postgresql`` package).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin with initdb and pg_ctl, or the ones on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                        if Path(p).parent.name.isdigit() else 0, reverse=True)
    for d in candidates:
        if os.access(os.path.join(d, "initdb"), os.X_OK) and os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return Path(d)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runner(user: str | None) -> list[str]:
    if user is None:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--"]
    return ["su", user, "-s", "/bin/sh", "-c"]  # pragma: no cover - runuser is in util-linux


def _run(cmd: list[str], user: str | None, **kw) -> subprocess.CompletedProcess:
    full = _runner(user) + (cmd if user is None or shutil.which("runuser") else [" ".join(cmd)])
    return subprocess.run(full, capture_output=True, text=True, timeout=120, **kw)


class PostgresCluster:
    """One throw-away cluster: start(), url, create_database(name), stop()."""

    def __init__(self, bin_dir: Path, base: Path, extra_options: str = ""):
        self.bin_dir = bin_dir
        self.extra_options = extra_options  # more ``-c name=value`` server settings (the benchmarks)
        self.base = base
        self.data = base / "data"
        self.sock = base / "sock"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            import pwd

            try:
                pwd.getpwnam("postgres")
                self.user = "postgres"
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to own the test cluster")

    def start(self) -> None:
        self.sock.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(self.base, self.user)
            shutil.chown(self.sock, self.user)
            os.chmod(self.base, 0o700)
        r = _run([str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "unspin", "-A", "trust",
                  "-E", "UTF8", "--no-sync"], self.user)
        if r.returncode:
            raise RuntimeError(f"initdb failed: {r.stderr.strip()}")
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        if self.extra_options:
            opts += " " + self.extra_options
        r = _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-t", "60",
                  "-l", str(self.base / "server.log"), "start"], self.user)
        if r.returncode:
            logfile = self.base / "server.log"
            log = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr.strip()} {log}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://unspin@/{database}?host={self.sock}&port={self.port}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host=str(self.sock), port=self.port, user="unspin", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"], self.user)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (install the Debian 'postgresql' package)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'unspin[postgres]')")
    base = Path(tempfile.mkdtemp(prefix="unspin-pg-"))
    cluster = PostgresCluster(bin_dir, base)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster, request) -> str:
    """A fresh, empty database in the private cluster for each test."""
    import re

    name = "t_" + re.sub(r"\W", "_", request.node.name)[:50].lower() + f"_{os.getpid()}_{free_port()}"
    return postgres_cluster.create_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """Each test twice: on a SQLite archive in a temporary folder, and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "archive.sqlite")
    return request.getfixturevalue("postgres_url")
