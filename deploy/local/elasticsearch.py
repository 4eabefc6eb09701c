"""One Elasticsearch node per stack home: its config dir, data, logs and environment.

When we are root the node runs as the ``opsconsole`` user, and its directories live under
``/var/lib/opsconsole/<hash>/elasticsearch`` (linked from ``<home>/data/elasticsearch``).
Elasticsearch writes a keystore into its config dir, so the whole instance is that user's.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from deploy.local import install, sysuser
from deploy.local.layout import HOST, Layout, Ports

HEAP = "-Xms512m -Xmx1g"


def instance_dir(layout: Layout) -> Path:
    """Root of this node's config, data, logs and tmp."""
    return sysuser.private_dir(layout, "elasticsearch")


def render_config(instance: Path, ports: Ports) -> str:
    """elasticsearch.yml of a single loopback node without security."""
    config = {
        "cluster.name": "opsconsole",
        "node.name": "opsconsole-1",
        "discovery.type": "single-node",
        "network.host": HOST,
        "http.port": ports.elasticsearch,
        "transport.port": ports.elasticsearch_transport,
        "path.data": str(instance / "data"),
        "path.logs": str(instance / "logs"),
        "xpack.security.enabled": False,
        # A nearly full disk on a dev machine must not turn indices read-only.
        "cluster.routing.allocation.disk.threshold_enabled": False,
    }
    return yaml.safe_dump(config, sort_keys=False)


def prepare(layout: Layout, ports: Ports) -> Path:
    """Create (or refresh the config of) this home's node; returns its instance dir."""
    instance = instance_dir(layout)
    conf = instance / "config"
    if not (conf / "jvm.options").exists():
        shutil.copytree(install.elasticsearch_home() / "config", conf, dirs_exist_ok=True)
    for sub in ("data", "logs", "tmp"):
        (instance / sub).mkdir(parents=True, exist_ok=True)
    (conf / "elasticsearch.yml").write_text(render_config(instance, ports))
    if sysuser.is_root():
        sysuser.chown_tree(instance, sysuser.SERVICE_USER)
        sysuser.link_into_home(instance, layout.data / "elasticsearch")
    return instance


def argv() -> list[str]:
    """Command line of the node (settings come from its config dir)."""
    return [str(install.elasticsearch_home() / "bin" / "elasticsearch")]


def environment(instance: Path) -> dict[str, str]:
    """Environment of the node: its JDK, config dir, heap and tmp dir."""
    return {
        "ES_JAVA_HOME": str(install.java_home()),
        "ES_PATH_CONF": str(instance / "config"),
        "ES_JAVA_OPTS": HEAP,
        "ES_TMPDIR": str(instance / "tmp"),
    }


def user() -> str | None:
    """The user the node runs as: ``opsconsole`` when we are root, else ourselves."""
    return sysuser.SERVICE_USER if sysuser.is_root() else None
