"""``opsconsole scale TARGET REPLICAS [--dry-run] [--reason TEXT]``."""
from __future__ import annotations

import getpass

from sqlalchemy import select

from console import auth, store
from console.scaling.cli import scale
from console.scaling.models import ScaleRecord


def test_it_scales_and_says_so(app, memory):
    result = app.test_cli_runner().invoke(scale, ["gateway", "2", "--reason", "warm up"])
    assert result.exit_code == 0, result.output
    assert "scaled gateway 1 -> 2" in result.output
    assert memory.calls == [("gateway", 2)]
    with app.app_context():
        entry = auth.list_audit(store.session(), limit=1)[0]
        record = store.session().scalars(select(ScaleRecord)).one()
    assert (entry.action, entry.target, entry.result, entry.detail["reason"]) == (
        "scale.scale", "scale:gateway", "ok", "warm up")
    # the record names who scaled as the audit log does
    assert record.actor == entry.actor == f"cli:{getpass.getuser()}"


def test_it_changes_nothing_on_a_dry_run(app, memory):
    result = app.test_cli_runner().invoke(scale, ["gateway", "3", "--dry-run"])
    assert "would scale gateway 1 -> 3" in result.output
    assert memory.calls == []


def test_it_refuses_a_count_outside_the_policy(app, memory):
    result = app.test_cli_runner().invoke(scale, ["gateway", "40"])
    assert result.exit_code != 0
    assert "gateway takes 1..4 replicas by its policy, not 40" in str(result.exception)
    assert memory.calls == []
