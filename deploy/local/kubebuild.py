"""Build the optional Kubernetes control plane into the cache: apiserver, controller-manager, scheduler, etcd, kwok.

Everything comes through the Go module proxy and is built once per version under
``<cache>/bin``; a second run finds the binaries and returns an empty list. The three
Kubernetes commands are built from ``k8s.io/kubernetes`` in a throwaway module: that module's
own go.mod points its staging modules (``k8s.io/api`` ...) at directories inside its repository,
which a module that requires it cannot see, so ours replaces each with its published ``v0.x``
twin. etcd 3.6 is built from ``go.etcd.io/etcd/server/v3`` (Debian's 3.4 lacks the watch
progress notifications that current apiservers ask for), kwok with ``go install``. Builds
share a file lock with concurrent ``stack up`` runs, show a status line, and log to
``<cache>/logs/install.log`` like the other installers.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

from console.errors import InstallError
from deploy.local.install import lock, run
from deploy.local.layout import cache_dir

KUBERNETES_VERSION = "v1.34.4"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
KUBE_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
BUILD_TIMEOUT = 3600.0  # measured: 20 min cold on two cores shared with another build
# kwok's own stage sets, as its kwokctl "fast" preset combines them: nodes turn Ready and keep a
# heartbeat lease, pods go Pending -> Running (and complete or go away when deleted)
KWOK_STAGES = ("node/fast/node-initialize.yaml", "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
               "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml")


def bin_dir() -> Path:
    """Where the control plane's binaries of these versions live."""
    return cache_dir() / "bin" / f"kubernetes-{KUBERNETES_VERSION}"


def binary(name: str) -> Path:
    """The built binary ``name`` (a Kubernetes command, ``etcd`` or ``kwok``)."""
    return bin_dir() / name


def kwok_stages() -> Path:
    """kwok's node and pod stages, taken from its module source into one file."""
    return bin_dir() / f"kwok-{KWOK_VERSION}-stages.yaml"


def ensure_kubernetes(console: Console) -> list[str]:
    """Build whatever of the control plane is missing; the list says what was built (empty: nothing)."""
    if shutil.which("go") is None:
        raise InstallError("go not found: the Kubernetes control plane is built with the Go toolchain")
    done: list[str] = []
    if not all(binary(name).exists() for name in (*KUBE_COMMANDS, "etcd", "kwok")) or not kwok_stages().exists():
        bin_dir().mkdir(parents=True, exist_ok=True)
        build = cache_dir() / "kubernetes-build"
        build.mkdir(parents=True, exist_ok=True)
        with open(build / ".lock", "w") as held:
            # a concurrent `stack up --with kubernetes` may be building: wait for it rather than build twice
            with console.status("waiting for another build of the Kubernetes control plane"):
                lock(held, BUILD_TIMEOUT, what="kubernetes")
            done += _ensure_etcd(console, build / "etcd")
            done += _ensure_kwok(console)
            done += _ensure_kube(console, build / "kube")
    return done


def staging_replaces(gomod: str, version: str) -> list[str]:
    """``replace`` lines pointing each staging module of k8s.io/kubernetes's go.mod at its published ``version``."""
    block = re.search(r"^replace \((.*?)^\)", gomod, re.S | re.M)
    lines = block.group(1).splitlines() if block else []
    lines += [m.group(1) for m in re.finditer(r"^replace (\S+ => \S+)\s*$", gomod, re.M)]
    replaces = []
    for line in lines:
        m = re.match(r"\s*(k8s\.io/[\w.-]+)\s*=>\s*\./staging/src/\1\s*$", line)
        if m:
            replaces.append(f"{m.group(1)} => {m.group(1)} {version}")
    return replaces


def staging_version(kubernetes_version: str) -> str:
    """The staging modules' tag for a Kubernetes release: v1.34.4 -> v0.34.4."""
    m = re.fullmatch(r"v1\.(\d+\.\d+)", kubernetes_version)
    if not m:
        raise ValueError(f"not a Kubernetes release tag: {kubernetes_version!r}")
    return f"v0.{m.group(1)}"


def version_ldflags(version: str, now: datetime) -> str:
    """-X flags that give the binaries their release version (else they report v0.0.0 and clients warn)."""
    major, minor = version.lstrip("v").split(".")[:2]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor, "gitTreeState": "clean",
              "buildDate": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    flags = [f"-X k8s.io/component-base/version.{k}={v}" for k, v in values.items()]
    return " ".join(["-s", "-w", *flags])


def _go_env() -> dict[str, str]:
    # two cores: two packages compiled at once keeps peak memory near 2 GB; never fetch another Go
    return {**os.environ, "GOFLAGS": "-p=2 -buildvcs=false", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}


def _ensure_etcd(console: Console, build: Path) -> list[str]:
    target = binary("etcd")
    if target.exists():
        return []
    build.mkdir(parents=True, exist_ok=True)
    env = _go_env()
    with console.status(f"building etcd {ETCD_VERSION} with go (about a minute, once)"):
        if not (build / "go.mod").exists():
            run(["go", "mod", "init", "opsconsole.local/etcdbuild"], cwd=build, env=env)
        run(["go", "get", f"go.etcd.io/etcd/server/v3@{ETCD_VERSION}"], cwd=build, env=env)
        partial = target.with_name("etcd.partial")
        run(["go", "build", "-ldflags=-s -w", "-o", str(partial), "go.etcd.io/etcd/server/v3"], cwd=build, env=env,
            timeout=BUILD_TIMEOUT)
        partial.rename(target)
    return [f"built etcd {ETCD_VERSION}"]


def _ensure_kwok(console: Console) -> list[str]:
    done = []
    target = binary("kwok")
    env = _go_env()
    if not target.exists():
        gobin = bin_dir() / "kwok.partial"
        with console.status(f"building kwok {KWOK_VERSION} with go (about a minute, once)"):
            run(["go", "install", "-ldflags=-s -w", f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}"],
                env={**env, "GOBIN": str(gobin)}, timeout=BUILD_TIMEOUT)
            (gobin / "kwok").rename(target)
            shutil.rmtree(gobin, ignore_errors=True)
        done.append(f"built kwok {KWOK_VERSION}")
    if not kwok_stages().exists():
        source = _module_dir("sigs.k8s.io/kwok", KWOK_VERSION, env) / "kustomize" / "stage"
        text = "\n---\n".join((source / stage).read_text().strip() for stage in KWOK_STAGES)
        partial = kwok_stages().with_suffix(".partial")
        partial.write_text(text + "\n")
        partial.rename(kwok_stages())
        done.append(f"wrote kwok {KWOK_VERSION} stages")
    return done


def _ensure_kube(console: Console, build: Path) -> list[str]:
    missing = [name for name in KUBE_COMMANDS if not binary(name).exists()]
    if not missing:
        return []
    build.mkdir(parents=True, exist_ok=True)
    env = _go_env()
    with console.status(f"building Kubernetes {KUBERNETES_VERSION} with go (ten minutes or more, once)"):
        source = _module_dir("k8s.io/kubernetes", KUBERNETES_VERSION, env)
        replaces = staging_replaces((source / "go.mod").read_text(), staging_version(KUBERNETES_VERSION))
        if not replaces:
            raise InstallError(f"no staging replaces found in k8s.io/kubernetes@{KUBERNETES_VERSION}'s go.mod")
        (build / "go.mod").write_text(
            "module opsconsole.local/kubebuild\n\ngo 1.24.0\n\n"
            f"require k8s.io/kubernetes {KUBERNETES_VERSION}\n\nreplace (\n"
            + "".join(f"\t{line}\n" for line in replaces) + ")\n")
        # the tools idiom: a file excluded from builds whose imports keep the commands' modules in go.mod
        (build / "tools.go").write_text(
            "//go:build tools\n\npackage tools\n\nimport (\n"
            + "".join(f'\t_ "k8s.io/kubernetes/cmd/{name}"\n' for name in KUBE_COMMANDS) + ")\n")
        run(["go", "mod", "tidy"], cwd=build, env=env, timeout=BUILD_TIMEOUT)
        staging = bin_dir() / "kube.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        ldflags = version_ldflags(KUBERNETES_VERSION, datetime.now(timezone.utc))
        run(["go", "build", f"-ldflags={ldflags}", "-o", str(staging),
             *(f"k8s.io/kubernetes/cmd/{name}" for name in missing)], cwd=build, env=env, timeout=BUILD_TIMEOUT)
        for name in missing:
            (staging / name).rename(binary(name))
        shutil.rmtree(staging, ignore_errors=True)
    return [f"built {name} {KUBERNETES_VERSION}" for name in missing]


def _module_dir(module: str, version: str, env: dict[str, str]) -> Path:
    """The module's source in the module cache, downloaded first if need be."""
    try:
        out = subprocess.run(["go", "mod", "download", "-json", f"{module}@{version}"], capture_output=True, text=True,
                             env=env, cwd=cache_dir(), timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InstallError(f"go mod download {module}@{version} failed: {e}") from e
    m = re.search(r'"Dir":\s*"([^"]+)"', out.stdout)
    if out.returncode != 0 or not m:
        raise InstallError(f"go mod download {module}@{version} exited {out.returncode}: {out.stdout[-300:]}"
                           f"{out.stderr[-300:]}")
    return Path(m.group(1))
