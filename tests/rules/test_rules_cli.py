"""``opsconsole rules check|import|export``: the files and the store agree, byte for byte."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "rules" / "alerts"


def opsconsole(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPSCONSOLE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "console", "rules", *args], env=env, capture_output=True, text=True,
                          check=False, timeout=60)


def test_it_checks_the_shipped_rules():
    result = opsconsole(Path("/nonexistent"), "check", "--dir", str(SHIPPED))
    assert result.returncode == 0, result.stderr
    assert "rules in 1 group are valid" in result.stderr


def test_it_exports_what_it_imported_byte_for_byte(tmp_path):
    assert opsconsole(tmp_path, "import", "--no-apply", "--dir", str(SHIPPED)).returncode == 0
    out = tmp_path / "out"
    assert opsconsole(tmp_path, "export", "--dir", str(out)).returncode == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.yml")} == {p.name: p.read_bytes() for p in SHIPPED.glob("*.yml")}
    again = opsconsole(tmp_path, "import", "--no-apply", "--dir", str(out))
    assert "0 new, 0 changed" in again.stderr


def test_it_fails_a_check_naming_the_field(tmp_path):
    (tmp_path / "bad.yml").write_text("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(up\n")
    result = opsconsole(tmp_path, "check", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert "g: expr: could not parse expression" in result.stderr


def test_it_checks_and_renders_the_shipped_slos():
    shipped = SHIPPED.parent / "slo"
    checked = opsconsole(Path("/nonexistent"), "slo", "check", "--dir", str(shipped))
    assert checked.returncode == 0, checked.stderr
    assert "3 SLOs generate valid rules" in checked.stderr
    rendered = opsconsole(Path("/nonexistent"), "slo", "render", "--dir", str(shipped))
    assert "# opsconsole_slo-payments-availability.yml\ngroups:\n- name: slo-payments-availability" in rendered.stdout


def test_it_refuses_an_slo_file_naming_the_field(tmp_path):
    (tmp_path / "bad.yml").write_text("slos:\n- name: x\n  service: payments\n  objective: 100\n")
    result = opsconsole(tmp_path, "slo", "check", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "slos[0].objective: Input should be less than 100" in result.stderr


def test_it_gives_the_demo_the_shipped_rules_only_on_a_store_that_never_held_one(tmp_path):
    from console import create_app, store
    from console.rules import versions
    from console.rules.cli import read_dir
    from console.rules.manage import import_into_new_store

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}"})
    shipped = read_dir(SHIPPED)
    try:
        with app.app_context():
            db = store.session()
            assert import_into_new_store(db, None, shipped, actor="cli:demo") == len(shipped) > 0
            assert import_into_new_store(db, None, shipped, actor="cli:demo") is None
            for row in versions.active(db):
                versions.delete(db, row, actor="cli:alice")
            db.commit()
            # deleted on purpose: the next demo does not bring them back
            assert import_into_new_store(db, None, shipped, actor="cli:demo") is None
            assert versions.active(db) == []
    finally:
        store.get_engine(app).dispose()
