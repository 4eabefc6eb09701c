"""A throwaway PostgreSQL cluster for tests: Debian's server binaries, a temp dir, a free loopback port.

If the binaries are missing they are installed (``apt-get install postgresql``). PostgreSQL
refuses to run as root, so under root the cluster belongs to the package's ``postgres`` user.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

HOST = "127.0.0.1"
SUPERUSER = "postgres"


def server_bin() -> Path:
    """The directory of ``initdb``/``postgres``/``pg_ctl``, installing Debian's PostgreSQL if absent."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
                       check=True, env=env, capture_output=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found after installing the postgresql package")
    # the newest major version when several are installed
    return Path(found[-1]).parent


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A running cluster for the duration of the block; yields its superuser URL (no database part)."""
    bin_dir = server_bin()
    run_as = _owner()
    # under /tmp, not the test's tmp_path: /root is 0700 and the postgres user must reach the dir
    root = Path(tempfile.mkdtemp(prefix="opsconsole-pg-"))
    data = root / "data"
    if run_as:
        os.chown(root, run_as.pw_uid, run_as.pw_gid)
    user = run_as.pw_name if run_as else None
    try:
        subprocess.run([bin_dir / "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, user=user)
        port = _free_port()
        with open(root / "server.log", "ab") as log:
            server = subprocess.Popen(
                [bin_dir / "postgres", "-D", data, "-k", root, "-p", str(port), "-c", f"listen_addresses={HOST}",
                 # a test cluster: durability buys nothing and costs seconds
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=subprocess.DEVNULL, stderr=log, user=user, start_new_session=True,
            )
        try:
            url = f"postgresql://{SUPERUSER}@{HOST}:{port}"
            _wait_ready(url, server, root / "server.log")
            yield url
        finally:
            subprocess.run([bin_dir / "pg_ctl", "stop", "-D", data, "-m", "fast", "-w"], check=False,
                           capture_output=True, user=user)
            if server.poll() is None:
                server.kill()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the cluster; returns its SQLAlchemy URL (psycopg 3 driver)."""
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def _owner() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("postgres")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_ready(url: str, server: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(f"{url}/postgres", connect_timeout=2):
                return
        except psycopg.OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"test PostgreSQL did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
