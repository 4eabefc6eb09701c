"""The live window's exporter, in a process of its own (``python tests/liveexporter.py BEGAN PORT_FILE``): its
counters and load follow the schedules of ``tests/livewindow.py`` from ``BEGAN`` (unix seconds). It writes the
port it listens on to ``PORT_FILE`` and serves until SIGTERM.

Not a thread of the test process: the suite keeps that interpreter busy, a scrape waiting on it past its 1 s
timeout fails, and Prometheus then marks the series stale, so the rule and the loop see no value at that
instant."""
from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from livewindow import GOOD_PER_SECOND, HOST, errors_until, load_at  # noqa: E402


def main(began: float, port_file: Path) -> None:
    class Exporter(BaseHTTPRequestHandler):
        def do_GET(self):
            elapsed = time.time() - began
            body = ("# TYPE live_requests_total counter\n"
                    f'live_requests_total{{status="200"}} {GOOD_PER_SECOND * elapsed:.3f}\n'
                    f'live_requests_total{{status="500"}} {errors_until(elapsed):.3f}\n'
                    "# TYPE live_load gauge\n"
                    f"live_load {load_at(elapsed):g}\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((HOST, 0), Exporter)
    written = port_file.with_suffix(".tmp")
    written.write_text(str(server.server_port))
    written.rename(port_file)  # whole or absent: the test process polls for it
    server.serve_forever()


if __name__ == "__main__":
    main(float(sys.argv[1]), Path(sys.argv[2]))
