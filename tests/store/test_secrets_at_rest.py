import logging
import re
from pathlib import Path

from sqlalchemy import text

from console import store
from console.cli import main

PASSWORD = "alice-secret-pass-9"
TYPO = "alice-secret-pass-8"


def _stored_bytes(app, database_url: str) -> bytes:
    """Everything the database holds: the SQLite files byte for byte, or every PostgreSQL row as JSON."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with store.get_engine(app).connect() as connection:
        tables = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        return b"".join(
            row.encode() for table in list(tables)
            for row in connection.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t')).scalars()
        )


def test_it_keeps_no_password_or_token_in_clear(app, database_url, caplog):
    caplog.set_level(logging.DEBUG)
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["user", "create", "alice", "--role", "admin", "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    token = runner.invoke(main, ["token", "create", "--role", "admin"]).stdout.strip()
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"name": "alice", "password": TYPO, "csrf_token": csrf}).status_code == 401
    assert client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    secret = token.split("_", 2)[2]  # osc_<id>_<secret>: the secret itself may hold underscores
    stored = _stored_bytes(app, database_url)
    assert b"$argon2id$" in stored and b"alice" in stored  # the search does see the data
    for clear in (PASSWORD, TYPO, token, secret):
        assert clear.encode() not in stored
        assert clear not in caplog.text
