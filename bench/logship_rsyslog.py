"""rsyslog as the yardstick for the log shipper: installed from Debian if missing, run as our own instance.

``install()`` adds ``rsyslog`` and ``rsyslog-elasticsearch`` with apt-get only when
``rsyslogd`` or its ``omelasticsearch`` module is missing. ``ship_file`` runs a private
``rsyslogd -n`` (our own config, pid file and work directory; never the system service):
imfile reads the file from its start, omelasticsearch posts the lines as they are (they are
JSON already) in bulk mode, and we time the run until Elasticsearch counts every line.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from deploy.local.install import apt_install

__all__ = ["install", "ship_file"]

PACKAGES = ("rsyslog", "rsyslog-elasticsearch")
POLL_SECONDS = 1.0


def _installed() -> bool:
    return shutil.which("rsyslogd") is not None and bool(glob.glob("/usr/lib/*/rsyslog/omelasticsearch.so"))


def install() -> None:
    """Install rsyslog and its Elasticsearch output from Debian when missing (root, apt-get)."""
    if _installed():
        return
    # The package's maintainer scripts may try to start the system service; without an init
    # system that only warns. Our instance below uses none of its files.
    apt_install(list(PACKAGES))
    if not _installed():
        raise RuntimeError("rsyslog installed but omelasticsearch.so not found")


def _config(work: Path, log_file: Path, es_port: int, index: str, batch_lines: int) -> str:
    return f"""
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imfile")
module(load="omelasticsearch")
template(name="line" type="string" string="%msg%")
input(type="imfile" file="{log_file}" tag="bench" ruleset="toes" freshStartTail="off")
ruleset(name="toes") {{
  action(type="omelasticsearch" server="127.0.0.1" serverport="{es_port}" esVersion.major="8"
         searchIndex="{index}" template="line" bulkmode="on" maxbytes="5m"
         queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="{batch_lines}"
         action.resumeRetryCount="-1")
}}
"""


def ship_file(work: Path, log_file: Path, es_url: str, index: str, lines: int, *, batch_lines: int = 1000,
              timeout: float = 900.0) -> float:
    """Seconds rsyslog takes from its start until Elasticsearch counts ``lines`` documents in ``index``."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "rsyslog.conf"
    config.write_text(_config(work, log_file, int(es_url.rsplit(":", 1)[1]), index, batch_lines))
    subprocess.run(["rsyslogd", "-N1", "-f", str(config)], check=True, capture_output=True)
    started = time.perf_counter()
    daemon = subprocess.Popen(["rsyslogd", "-n", "-f", str(config), "-i", str(work / "rsyslogd.pid")],
                              stdout=open(work / "rsyslogd.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = started + timeout
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() < deadline:
                if daemon.poll() is not None:
                    raise RuntimeError(f"rsyslogd exited {daemon.returncode}: {(work / 'rsyslogd.log').read_text()[-500:]}")
                # A refresh once a second, as Elasticsearch's own default interval would: refreshing
                # five times a second (as this did) made rsyslog's index write many tiny segments
                # and merge them while it ran, a cost the shipper's run does not pay.
                client.post(f"{es_url}/{index}/_refresh")
                answer = client.get(f"{es_url}/{index}/_count")
                if answer.status_code == 200 and answer.json()["count"] >= lines:
                    return time.perf_counter() - started
                time.sleep(POLL_SECONDS)
        raise TimeoutError(f"rsyslog did not ship {lines} lines within {timeout:.0f}s")
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=30)
