"""Running parts as an unprivileged user when we are root.

Elasticsearch refuses to run as root, and nginx's workers drop to ``nobody``. Neither can
enter a home under ``/root`` (mode 700), so what they must write lives under
``/var/lib/opsconsole/<hash of the home>/`` instead: two stacks never share it.
"""
from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from console.errors import InstallError
from deploy.local.layout import Layout

SERVICE_USER = "opsconsole"
SHARED_ROOT = Path("/var/lib/opsconsole")


def is_root() -> bool:
    """Whether this process runs as root."""
    return os.geteuid() == 0


def ensure_service_user() -> bool:
    """Create the system user ``opsconsole`` if missing; True if it was created."""
    try:
        pwd.getpwnam(SERVICE_USER)
        return False
    except KeyError:
        pass
    argv = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InstallError(f"useradd {SERVICE_USER} failed: {done.stderr.strip()}")
    return True


def private_root(layout: Layout) -> Path:
    """This home's directory under ``/var/lib/opsconsole``, keyed by a hash of the home's path."""
    return SHARED_ROOT / hashlib.sha256(str(layout.home).encode()).hexdigest()[:12]


def private_dir(layout: Layout, part: str) -> Path:
    """Where ``part`` keeps what an unprivileged process writes: outside /root when root."""
    return private_root(layout) / part if is_root() else layout.data / part


def remove_private_dirs(layout: Layout) -> None:
    """Delete what this home keeps under ``/var/lib/opsconsole`` (nothing when not root)."""
    if is_root():
        shutil.rmtree(private_root(layout), ignore_errors=True)


def chown_tree(path: Path, user: str, group: str | None = None) -> None:
    """Give ``path`` and everything under it to ``user`` (and ``group``, else the user's own)."""
    entry = pwd.getpwnam(user)
    gid = entry.pw_gid if group is None else _gid(group)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, gid, follow_symlinks=False)


def link_into_home(target: Path, link: Path) -> None:
    """Point ``link`` (inside the home) at ``target`` so the data stays discoverable."""
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _gid(group: str) -> int:
    return grp.getgrnam(group).gr_gid
