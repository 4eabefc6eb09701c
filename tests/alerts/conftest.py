"""Fixtures for on-call: a real SMTP server (aiosmtpd) and a chat webhook server of ours, both on loopback,
and console apps wired to them with Alertmanager's token."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from console import auth, create_app, store
from console.alerts import escalator, notifier
from console.backends import close_backends

from kit import free_port, own_alertmanager

from alertkit import ChatRoom, Inbox, SmtpServer, oncall_settings

CAST = {"bob": "operator", "charlie": "viewer"}


@pytest.fixture
def smtp():
    """A real SMTP server on a free loopback port; yields (inbox, port)."""
    inbox = Inbox()
    controller = SmtpServer(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def chat():
    """An HTTP server of ours on loopback that records incoming-webhook posts."""
    room = ChatRoom()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = room.statuses.pop(0) if room.statuses else 200
            if status == 200:
                room.posts.append(json.loads(body))
                room.paths.append(self.path)
                room.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    room.url = f"http://127.0.0.1:{server.server_port}/hooks/secret-path-xyz"
    yield room
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def oncall_app(make_console, smtp, chat):
    """A console whose webhook takes ``TOKEN`` and whose incidents go to the SMTP server and the chat room."""
    return make_console(**oncall_settings(smtp, chat))


@pytest.fixture
def tokens(oncall_app) -> dict[str, str]:
    """Bearer tokens of bob (operator) and charlie (viewer)."""
    found = {}
    with oncall_app.app_context():
        db = store.session()
        for name, role in CAST.items():
            user = auth.create_user(db, name=name, password="a long test password", role=role)
            found[role], _ = auth.create_token(db, role=role, name=name, user_id=user.id)
    return found


@pytest.fixture(scope="module")
def private_alertmanager(tmp_path_factory):
    """An Alertmanager of the module's own: its silences never reach the session's."""
    with own_alertmanager(tmp_path_factory.mktemp("private-am")) as (_, _, url):
        yield url


@pytest.fixture
def make_console(tmp_path, smtp, chat):
    """Console apps with settings of the test's choosing, each on a database of its own.

    Set up after the SMTP and chat servers so that it is torn down before them: a delivery still under
    way when a test ends finishes against a server that is still there."""
    apps = []

    def make(**settings):
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "NOTIFY_BACKOFF": 0.05,
                          "DATABASE_URL": f"sqlite:///{tmp_path / f'console{len(apps)}.db'}", **settings})
        apps.append(app)
        return app

    yield make
    for app in apps:
        escalator(app).stop()
        notifier(app).shutdown()
        close_backends(app)
        store.get_engine(app).dispose()
