"""Which files the console owns, how they are written, and how a reload is confirmed."""
from __future__ import annotations

from pathlib import Path

import pytest

from console.rules.apply import (
    expected_groups,
    mismatch,
    render_files,
    snapshot,
    write_files,
)
from console.rules.model import Rule
from console.rules.prom import LoadedGroup, LoadedRule

DIR = Path("/srv/rules")


def group(name: str, alerts: list[str], *, file: str | None = None, error: str = "") -> LoadedGroup:
    rules = [LoadedRule(a, "inactive", "ok", error, None) for a in alerts]
    return LoadedGroup(name, file or str(DIR / f"opsconsole-{name}.yml"), 2.0, rules)


EXPECTED = {"opsconsole-shop.yml": ["A", "B"]}


@pytest.mark.parametrize("loaded, reason", [
    pytest.param([group("shop", ["A", "B"])], None, id="loaded as expected"),
    pytest.param([group("shop", ["A", "B"]), group("x", ["C"], file="/etc/prometheus/x.yml")], None,
                 id="others' files are not ours to judge"),
    pytest.param([], "did not load opsconsole-shop.yml", id="group missing"),
    pytest.param([group("shop", ["A"])], "expected ['A', 'B']", id="a rule missing"),
    pytest.param([group("shop", ["A", "B"], error="bad")], "opsconsole-shop.yml: bad", id="last error"),
    pytest.param([group("shop", ["A", "B"]), group("old", ["Z"])], "still runs opsconsole-old.yml",
                 id="a removed group still loaded"),
])
def test_it_confirms_what_prometheus_loaded(loaded, reason):
    found = mismatch(EXPECTED, loaded, DIR)
    assert (found is None) if reason is None else (reason in found)


def test_it_writes_one_file_per_group_and_removes_only_its_own(tmp_path):
    rules = [Rule(group="shop", alert="A", expr="up == 0"), Rule(group="edge", alert="B", expr="up == 1")]
    (tmp_path / "opsconsole-gone.yml").write_text("groups: []\n")
    (tmp_path / "someone-else.yml").write_text("groups: []\n")
    write_files(tmp_path, render_files(rules))
    assert sorted(p.name for p in tmp_path.glob("*.yml")) == ["opsconsole-edge.yml", "opsconsole-shop.yml",
                                                              "someone-else.yml"]
    assert set(snapshot(tmp_path)) == {"opsconsole-edge.yml", "opsconsole-shop.yml"}
    assert expected_groups(rules) == {"opsconsole-shop.yml": ["A"], "opsconsole-edge.yml": ["B"]}
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_slos_files_and_the_alert_rules_files_leave_each_other_alone(tmp_path):
    from console.rules import slo

    payments = slo.Slo(name="payments-availability", service="payments", objective=99.5)
    write_files(tmp_path, slo.files([payments]), slo.FILE_PREFIX)
    write_files(tmp_path, render_files([Rule(group="shop", alert="A", expr="up == 0")]))
    assert sorted(p.name for p in tmp_path.glob("*.yml")) == ["opsconsole-shop.yml",
                                                              "opsconsole_slo-payments-availability.yml"]
    write_files(tmp_path, {}, slo.FILE_PREFIX)
    assert [p.name for p in tmp_path.glob("*.yml")] == ["opsconsole-shop.yml"]
    slo_group = group("slo-payments-availability", slo.expected_rules([payments])[slo.file_name(payments)],
                      file=str(DIR / slo.file_name(payments)))
    # the alert rules' confirmation does not count the SLOs' group as a leftover of its own
    assert mismatch(EXPECTED, [group("shop", ["A", "B"]), slo_group], DIR) is None
    assert mismatch(slo.expected_rules([payments]), [group("shop", ["A", "B"]), slo_group], DIR,
                    slo.FILE_PREFIX) is None
