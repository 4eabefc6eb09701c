import json

from collectors.logship.checkpoint import Checkpoints
from collectors.logship.tail import FileIdentity

A = FileIdentity(1, 2, "aa")
B = FileIdentity(1, 3, "bb")


def test_it_starts_empty_without_a_file(tmp_path):
    assert Checkpoints(tmp_path / "cp").load() == {}


def test_it_saves_and_reloads_offsets(tmp_path):
    checkpoints = Checkpoints(tmp_path / "cp")
    checkpoints.advance({A: (100, "/logs/a.log"), B: (7, "/logs/b.log")})
    assert Checkpoints(tmp_path / "cp").load() == {A: 100, B: 7}
    assert json.loads((tmp_path / "cp" / "checkpoints.json").read_text())[str(A)] == {"offset": 100, "path": "/logs/a.log"}


def test_it_never_moves_an_offset_back(tmp_path):
    checkpoints = Checkpoints(tmp_path)
    checkpoints.advance({A: (100, "a")})
    checkpoints.advance({A: (50, "a")})
    assert checkpoints.offset(A) == 100
    assert Checkpoints(tmp_path).load() == {A: 100}


def test_it_leaves_no_temp_file_behind(tmp_path):
    checkpoints = Checkpoints(tmp_path)
    for end in range(1, 5):
        checkpoints.advance({A: (end, "a")})
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoints.json"]


def test_it_drops_a_retired_file_once_acknowledged_to_its_end(tmp_path):
    checkpoints = Checkpoints(tmp_path)
    checkpoints.advance({A: (40, "a.log.1"), B: (7, "b.log")})
    checkpoints.retire(A, 100)  # read to 100, acknowledged to 40: kept
    assert Checkpoints(tmp_path).load() == {A: 40, B: 7}
    checkpoints.advance({A: (100, "a.log.1")})
    assert Checkpoints(tmp_path).load() == {B: 7}
    checkpoints.retire(B, 7)  # already acknowledged that far: dropped at once
    assert Checkpoints(tmp_path).load() == {}
