"""A throwaway local PostgreSQL server: what the tests and benchmarks run the store against.

It runs Debian's (or any) PostgreSQL binaries in a fresh data directory, on a free port of 127.0.0.1 only,
with its Unix socket inside that directory. PostgreSQL refuses to run as root: as root, the server runs as
the ``postgres`` user (the directory is made for it). ``stop()`` ends the server it started, by its PID.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from plugin.errors import StoreError
from plugin.labelstudio.local import free_port

SERVER_USER = "postgres"  # who runs the server when we are root


def postgres_bindir() -> Path:
    """The directory of ``initdb`` and ``postgres``: the newest Debian install, else the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        raise StoreError("no PostgreSQL server binaries (initdb) found; install them: apt-get install postgresql")
    return Path(initdb).parent


@dataclass
class LocalPostgres:
    """A running server: its superuser ``postgres`` connects without a password from 127.0.0.1."""

    directory: Path
    port: int
    process: subprocess.Popen
    _databases: int = field(default=0)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, prefix: str = "stancedesk") -> str:
        """A new empty database; returns its URL."""
        import psycopg

        self._databases += 1
        name = f"{prefix}_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown: SIGINT to its PID) and remove its directory."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_local_postgres(*, durable: bool = True, timeout: float = 60.0) -> LocalPostgres:
    """Initialise and start a server in a new temporary directory.

    Args:
        durable: PostgreSQL's defaults (every commit flushed to disk). False: no fsync, for tests, where the
            data dies with the directory anyway.
        timeout: seconds to wait for the server to accept connections.
    """
    import psycopg

    bindir = postgres_bindir()
    directory = Path(tempfile.mkdtemp(prefix="stancedesk-pg-"))
    user = SERVER_USER if os.geteuid() == 0 else None
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    data = directory / "data"
    try:
        subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-locale", "--no-sync"], user=user, check=True, capture_output=True, text=True,
                       cwd=directory)
    except subprocess.CalledProcessError as e:
        shutil.rmtree(directory, ignore_errors=True)
        raise StoreError(f"initdb failed in {data}: {e.stderr.strip()[-500:]}") from None
    port = free_port()
    settings = ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={directory}",
                "-c", "max_connections=200"]
    if not durable:
        settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    log = open(directory / "server.log", "wb")  # noqa: SIM115  (the server writes it while it runs)
    process = subprocess.Popen([str(bindir / "postgres"), "-D", str(data), "-p", str(port), *settings],
                               user=user, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    log.close()
    server = LocalPostgres(directory, port, process)
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(server.url(), connect_timeout=2).close()
            return server
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (directory / "server.log").read_text(errors="replace")[-800:]
                server.stop()
                raise StoreError(f"the local PostgreSQL did not start on port {port}: {tail}") from None
            time.sleep(0.1)
