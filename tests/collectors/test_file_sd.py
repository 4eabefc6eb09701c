import json

import pytest

from collectors.file_sd import write_targets


def test_it_writes_the_groups_as_json(tmp_path):
    target = tmp_path / "sd" / "gateway.json"
    groups = [{"targets": ["127.0.0.1:8101", "127.0.0.1:8102"], "labels": {"service": "gateway"}}]
    write_targets(target, groups)
    assert json.loads(target.read_text()) == groups


def test_it_replaces_an_existing_file_without_leaving_temp_files(tmp_path):
    target = tmp_path / "gateway.json"
    write_targets(target, [{"targets": ["127.0.0.1:1"], "labels": {}}])
    write_targets(target, [])
    assert json.loads(target.read_text()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["gateway.json"]


@pytest.mark.parametrize("groups, message", [
    pytest.param({"targets": []}, "must be a list", id="not a list"),
    pytest.param(["x"], "must be an object", id="group not an object"),
    pytest.param([{"labels": {}}], "targets", id="missing targets"),
    pytest.param([{"targets": [8101]}], "targets", id="target not a string"),
    pytest.param([{"targets": ["a:1"], "labels": {"n": 1}}], "labels", id="label value not a string"),
    pytest.param([{"targets": ["a:1"], "extra": 1}], "unknown keys: extra", id="unknown key"),
])
def test_it_refuses_bad_shapes_and_leaves_the_file_alone(tmp_path, groups, message):
    target = tmp_path / "t.json"
    target.write_text("[]\n")
    with pytest.raises(ValueError, match=message):
        write_targets(target, groups)
    assert target.read_text() == "[]\n"
