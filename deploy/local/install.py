"""Idempotent installers of the stack's programs; each returns what it did (empty: nothing).

Debian packages come from apt, Elasticsearch from Maven Central (unzipped into the cache),
Jaeger v2 is built through the Go module proxy into the cache. A second run finds
everything in place and does nothing. Long steps show a status line; command output goes
to ``<cache>/logs/install.log`` and its tail into the error when a step fails.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from rich.console import Console

from console.errors import InstallError
from deploy.local import sysuser
from deploy.local.layout import cache_dir

# The binary each Debian package provides; a package is installed only when it is missing.
DEBIAN_PACKAGES = {
    "prometheus": "/usr/bin/prometheus",
    "prometheus-alertmanager": "/usr/bin/prometheus-alertmanager",
    "nginx": "/usr/sbin/nginx",
    "redis-server": "/usr/bin/redis-server",
}
# Init scripts a package may have started, and the pid files of those system daemons.
SYSTEM_DAEMONS = {
    "prometheus": "/run/prometheus/prometheus.pid",
    "prometheus-alertmanager": "/run/prometheus/prometheus-alertmanager.pid",
    "nginx": "/run/nginx.pid",
    "redis-server": "/run/redis/redis-server.pid",
}
ES_VERSION = "8.19.21"
ES_ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ES_VERSION}:zip"
JAEGER_VERSION = "v1.76.0"  # the v1.x tags carry the Jaeger v2 binary
JAEGER_MODULE = "github.com/jaegertracing/jaeger/cmd/jaeger"
JAEGER_BUILD_TIMEOUT = 1800.0


def install_all(console: Console | None = None) -> list[str]:
    """Install whatever part of the stack is missing; the list says what was done."""
    console = console or Console(stderr=True)
    return ensure_debian_packages(console) + ensure_elasticsearch(console) + ensure_jaeger(console)


def ensure_debian_packages(console: Console) -> list[str]:
    """apt-get install the packages whose binary is missing, then stop their system services."""
    missing = [pkg for pkg, binary in DEBIAN_PACKAGES.items() if not Path(binary).exists()]
    if not missing:
        return []
    apt_install(missing, console)
    for pkg in missing:
        _stop_system_daemon(pkg)
    return [f"installed {pkg}" for pkg in missing]


def apt_install(packages: list[str], console: Console | None = None) -> None:
    """``apt-get update``, then install ``packages`` without their recommends (needs root); the output goes to
    the install log."""
    if not sysuser.is_root():
        raise InstallError(f"missing {', '.join(packages)}: run as root or apt-get install them")
    console = console or Console(stderr=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with console.status("apt-get update"):
        run(["apt-get", "update"], env=env)
    with console.status(f"apt-get install {' '.join(packages)}"):
        run(["apt-get", "install", "-y", "--no-install-recommends", *packages], env=env)


def elasticsearch_home() -> Path:
    """The unpacked distribution Elasticsearch runs from (outside /root when we are root)."""
    if sysuser.is_root():
        return sysuser.SHARED_ROOT / f"elasticsearch-{ES_VERSION}"
    return cache_dir() / f"elasticsearch-{ES_VERSION}"


def ensure_elasticsearch(console: Console) -> list[str]:
    """Fetch the Elasticsearch zip through Maven, unzip it, and copy it where its user can read it."""
    done: list[str] = []
    unpacked = cache_dir() / f"elasticsearch-{ES_VERSION}"
    if not (unpacked / "bin" / "elasticsearch").exists():
        archive = _maven_zip()
        if not archive.exists():
            with console.status(f"mvn dependency:get elasticsearch {ES_VERSION}"):
                run(["mvn", "-q", "dependency:get", f"-Dartifact={ES_ARTIFACT}", "-Dtransitive=false"])
            done.append(f"downloaded elasticsearch {ES_VERSION}")
        with console.status(f"unpacking elasticsearch {ES_VERSION}"):
            _unzip(archive, unpacked)
        done.append(f"unpacked elasticsearch {ES_VERSION}")
    if sysuser.is_root():
        if sysuser.ensure_service_user():
            done.append(f"created user {sysuser.SERVICE_USER}")
        target = elasticsearch_home()
        if not (target / "bin" / "elasticsearch").exists():
            with console.status(f"copying elasticsearch to {target}"):
                staging = target.with_name(target.name + ".partial")
                shutil.rmtree(staging, ignore_errors=True)
                shutil.copytree(unpacked, staging, symlinks=True)
                sysuser.chown_tree(staging, sysuser.SERVICE_USER)
                staging.rename(target)
            done.append(f"copied elasticsearch to {target}")
    return done


def java_home() -> Path:
    """The JDK that ``java`` on PATH belongs to (Elasticsearch's ``ES_JAVA_HOME``)."""
    java = shutil.which("java")
    if java is None:
        raise InstallError("java not found: install openjdk-17-jre-headless")
    return Path(java).resolve().parent.parent


def jaeger_binary() -> Path:
    """Where the Jaeger v2 binary is built."""
    return cache_dir() / "bin" / f"jaeger-{JAEGER_VERSION}"


def ensure_jaeger(console: Console) -> list[str]:
    """Build Jaeger v2 with Go in a throwaway module under the cache, unless it is there."""
    binary = jaeger_binary()
    if binary.exists():
        return []
    if shutil.which("go") is None:
        raise InstallError("go not found: Jaeger v2 is built with the Go toolchain")
    build = cache_dir() / "jaeger-build"
    build.mkdir(parents=True, exist_ok=True)
    binary.parent.mkdir(parents=True, exist_ok=True)
    with open(build / ".lock", "w") as held:
        # A concurrent `stack up` may be building: wait for it rather than build twice.
        with console.status(f"waiting for another build of jaeger {JAEGER_VERSION}"):
            lock(held, JAEGER_BUILD_TIMEOUT)
        if binary.exists():
            return []
        with console.status(f"building jaeger {JAEGER_VERSION} with go (about 4 minutes, once)"):
            if not (build / "go.mod").exists():
                run(["go", "mod", "init", "opsconsole.local/jaegerbuild"], cwd=build)
            run(["go", "get", "-tool", f"{JAEGER_MODULE}@{JAEGER_VERSION}"], cwd=build)
            partial = binary.with_name(binary.name + ".partial")
            run(["go", "build", "-o", str(partial), JAEGER_MODULE], cwd=build, timeout=JAEGER_BUILD_TIMEOUT)
            partial.rename(binary)
    return [f"built jaeger {JAEGER_VERSION}"]


def _maven_zip() -> Path:
    repo = Path.home() / ".m2" / "repository"
    return repo / "org/elasticsearch/distribution/integ-test-zip/elasticsearch" / ES_VERSION / f"elasticsearch-{ES_VERSION}.zip"


def _unzip(archive: Path, target: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix="es-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                extracted = Path(zf.extract(info, staging))
                mode = info.external_attr >> 16  # zipfile drops the unix mode bits
                if mode:
                    extracted.chmod(mode & 0o777)
        (staging / f"elasticsearch-{ES_VERSION}").rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stop_system_daemon(package: str) -> None:
    """Stop the init.d service a package started; we only ever run our own instances."""
    subprocess.run(["service", package, "stop"], capture_output=True, check=False, timeout=60)
    pid_file = Path(SYSTEM_DAEMONS[package])
    try:
        os.kill(int(pid_file.read_text().strip()), 15)
    except (OSError, ValueError):
        pass


def lock(handle, timeout: float, *, what: str = "jaeger") -> None:
    """Take an exclusive flock on ``handle``, waiting at most ``timeout`` seconds for another build of ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise InstallError(f"timed out waiting for another {what} build") from None
            time.sleep(1.0)


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 900.0) -> None:
    """Run ``argv`` with its output appended to the install log; ``InstallError`` with the log's tail on failure."""
    log = cache_dir() / "logs" / "install.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        try:
            code = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                  timeout=timeout, check=False).returncode
        except (OSError, subprocess.TimeoutExpired) as e:
            raise InstallError(f"{argv[0]} failed: {e}") from e
    if code != 0:
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
        raise InstallError(f"{' '.join(argv[:3])} exited {code}: {tail} (see {log})")
