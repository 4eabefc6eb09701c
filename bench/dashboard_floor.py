"""How close a fan-out can come to its slowest request on this machine, whatever the client: the requests sent
at once by curl (libcurl's multi interface, in C: no Python, no GIL, nothing parsed), the slowest transfer
against the slowest request sent alone. The backends share the machine's cores, so a request answered while
the others are answered is slower than alone; this is the part of a view's ratio no console code can remove.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from urllib.parse import urlencode

from deploy.local.install import apt_install


@dataclass(frozen=True)
class Request:
    """One HTTP request: a GET of ``url``, or a POST of ``form`` fields or of a ``json`` body."""

    url: str
    form: dict[str, str] | None = None
    json: dict | None = None

    def curl_config(self, number: int) -> str:
        """This request's lines of a curl config file; its write-out names it by ``number``."""
        lines = [f"url = {json.dumps(self.url)}", 'output = "/dev/null"', "silent", "show-error",
                 f'write-out = "{number} %{{http_code}} %{{time_total}}\\n"']
        if self.form is not None:
            lines.append(f"data = {json.dumps(urlencode(self.form))}")
        if self.json is not None:
            lines += ['header = "Content-Type: application/json"', f"data = {json.dumps(json.dumps(self.json))}"]
        return "\n".join(lines) + "\n"


def install() -> None:
    """Install curl from Debian when missing (root, apt-get)."""
    if not shutil.which("curl"):
        apt_install(["curl"])


def at_once(requests: list[Request]) -> list[float]:
    """Send every request at the same moment; the milliseconds each one took, in the order given."""
    with tempfile.NamedTemporaryFile("w", suffix=".curl") as config:
        config.write("next\n".join(r.curl_config(n) for n, r in enumerate(requests)))
        config.flush()
        done = subprocess.run(["curl", "--parallel", "--parallel-immediate", "--parallel-max", str(len(requests)),
                               "--config", config.name], capture_output=True, text=True, timeout=60)
    took: dict[int, float] = {}
    for line in done.stdout.splitlines():
        number, status, seconds = line.split()
        if status != "200":
            raise RuntimeError(f"{requests[int(number)].url} answered HTTP {status}: {done.stderr[-500:]}")
        took[int(number)] = float(seconds) * 1000
    if len(took) != len(requests):
        raise RuntimeError(f"curl completed {len(took)} of {len(requests)} requests: {done.stderr[-500:]}")
    return [took[n] for n in range(len(requests))]
