"""A throwaway PostgreSQL server for tests: Debian's binaries, a temp folder, a unix socket.

The server runs as the `postgres` user (initdb refuses root) and listens only on a socket
in its own folder, so it touches no port and no other cluster. `start_server` returns None
with the reason when it cannot start; the fixture turns that into a visible skip.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("WORKBOOK_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "postgres"
PORT = 5432  # only names the socket file; nothing listens on TCP
_names = itertools.count(1)


@dataclass(frozen=True)
class Server:
    socket_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@/{database}?host={self.socket_dir}&port={PORT}"

    def new_database(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = f"gradebook_{os.getpid()}_{next(_names)}"
        with psycopg.connect(host=str(self.socket_dir), port=PORT, user=USER,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _run_as_postgres(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", USER, "--", *argv], capture_output=True,
                          text=True, timeout=120, check=False)


@contextmanager
def running_server() -> Iterator[Server | str]:
    """A started server, or the reason none could start; stopped and deleted on exit."""
    if not (BIN / "initdb").exists():
        yield f"no PostgreSQL binaries in {BIN} (set WORKBOOK_PG_BIN)"
        return
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        yield "starting PostgreSQL here needs root and runuser (to run it as 'postgres')"
        return
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        yield f"no '{USER}' user to run PostgreSQL as"
        return
    folder = Path(tempfile.mkdtemp(prefix="workbook-pg-"))
    os.chown(folder, account.pw_uid, account.pw_gid)
    data, log = folder / "data", folder / "server.log"
    started = False
    try:
        init = _run_as_postgres(str(BIN / "initdb"), "-D", str(data), "-A", "trust",
                                "-U", USER, "--no-sync")
        if init.returncode != 0:
            yield f"initdb failed: {(init.stderr or init.stdout).strip()[:200]}"
            return
        options = f"-c listen_addresses='' -k {folder} -p {PORT} -c fsync=off"
        start = _run_as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log),
                                 "-o", options, "-w", "-t", "60", "start")
        if start.returncode != 0:
            reason = log.read_text()[-300:] if log.exists() else start.stderr
            yield f"pg_ctl start failed: {reason.strip()}"
            return
        started = True
        yield Server(socket_dir=folder)
    finally:
        if started:
            _run_as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                             "stop")
        shutil.rmtree(folder, ignore_errors=True)
