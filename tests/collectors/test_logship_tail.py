import os

import pytest

from collectors.logship.tail import FINGERPRINT_BYTES, Tailer, fingerprint, identify


def read_all(tailer: Tailer) -> list[tuple[str, int, bytes]]:
    tailer.scan()
    return [(os.path.basename(line.path), line.offset, line.raw) for line in tailer.read(1 << 20)]


def test_it_reads_complete_lines_only_and_waits_for_a_partial_last_line(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"one\ntwo\nthr")
    tailer = Tailer([str(tmp_path / "*.log")])
    assert read_all(tailer) == [("a.log", 0, b"one"), ("a.log", 4, b"two")]
    assert read_all(tailer) == []
    with open(log, "ab") as f:
        f.write(b"ee\nfour\n")
    assert read_all(tailer) == [("a.log", 8, b"three"), ("a.log", 14, b"four")]
    tailer.close()


def test_it_picks_up_new_files(tmp_path):
    tailer = Tailer([str(tmp_path / "*.log")])
    assert read_all(tailer) == []
    (tmp_path / "b.log").write_bytes(b"hello\n")
    (tmp_path / "ignored.txt").write_bytes(b"not matched\n")
    assert read_all(tailer) == [("b.log", 0, b"hello")]
    tailer.close()


def test_it_waits_for_a_first_line_before_picking_a_file_up(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"start of a li")
    tailer = Tailer([str(tmp_path / "*.log")])
    assert read_all(tailer) == [] and tailer.files() == []
    with open(log, "ab") as f:
        f.write(b"ne\n")
    assert read_all(tailer) == [("a.log", 0, b"start of a line")]
    tailer.close()


def test_it_resumes_from_the_given_offsets(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"one\ntwo\nthree\n")
    fd = os.open(log, os.O_RDONLY)
    identity = identify(fd)
    os.close(fd)
    tailer = Tailer([str(tmp_path / "*.log")], {identity: 8})
    assert read_all(tailer) == [("a.log", 8, b"three")]
    tailer.close()


def test_it_keeps_reading_a_file_renamed_away_until_it_has_been_quiet_a_while(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"one\n")
    tailer = Tailer([str(tmp_path / "*.log")], close_after=5)
    assert read_all(tailer) == [("a.log", 0, b"one")]
    with open(log, "ab", buffering=0) as old:
        old.write(b"two\n")
        log.rename(tmp_path / "a.log.1")
        log.write_bytes(b"new one\n")
        assert sorted(read_all(tailer)) == [("a.log", 0, b"new one"), ("a.log", 4, b"two")]
        tailer.scan(now=100)
        old.write(b"three\n")  # the writer has not reopened yet
        tailer.scan(now=104)
        assert read_all(tailer) == [("a.log", 8, b"three")]
    tailer.scan(now=105)
    assert len(tailer.files()) == 2
    tailer.scan(now=110)
    assert [(os.path.basename(path), size) for _, path, size in tailer.files()] == [("a.log", 8)]
    tailer.close()


def test_it_gives_a_reused_inode_with_other_first_bytes_another_identity(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b'{"@timestamp":"2025-01-01T00:00:00Z"}\n')
    fd = os.open(log, os.O_RDONLY)
    first = identify(fd)
    os.close(fd)
    # Truncate and rewrite in place: same (dev, ino), as when the filesystem reuses an inode.
    log.write_bytes(b'{"@timestamp":"2025-01-02T00:00:00Z"}\n')
    fd = os.open(log, os.O_RDONLY)
    second = identify(fd)
    os.close(fd)
    assert (first.dev, first.ino) == (second.dev, second.ino)
    assert first != second


def test_it_reads_a_file_rewritten_in_place_from_the_start(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"first file line one\nfirst file line two\n")
    tailer = Tailer([str(tmp_path / "*.log")])
    assert len(read_all(tailer)) == 2
    log.write_bytes(b"second file\n")
    assert read_all(tailer) == [("a.log", 0, b"second file")]
    tailer.close()


def test_it_fingerprints_only_the_first_line_so_appends_keep_the_identity():
    assert fingerprint(b"partial") is None
    assert fingerprint(b"line\n") == fingerprint(b"line\nmore appended\n")
    assert fingerprint(b"x" * FINGERPRINT_BYTES) == fingerprint(b"x" * FINGERPRINT_BYTES + b"y\n")


def test_it_reads_round_robin_within_the_byte_budget(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.log").write_bytes(b"".join(b"%s%03d\n" % (name.encode(), i) for i in range(100)))
    tailer = Tailer([str(tmp_path / "*.log")], chunk_bytes=50)
    tailer.scan()
    first = tailer.read(100)
    assert {os.path.basename(line.path) for line in first} == {"a.log", "b.log"}
    assert sum(len(line.raw) + 1 for line in first) <= 100
    rest = tailer.read(1 << 20)
    assert len(first) + len(rest) == 200
    tailer.close()


def copy_truncate(log, copy, *, then: bytes = b"") -> None:
    """What logrotate's copytruncate does: copy the file, truncate it in place; then the writer goes on."""
    copy.write_bytes(log.read_bytes())
    with open(log, "r+b") as f:
        f.truncate(0)
    with open(log, "ab") as f:
        f.write(then)


def test_it_follows_a_copy_truncate_through_the_copy_without_reading_a_line_twice(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"first\n")
    tailer = Tailer([str(tmp_path / "a.log*")])
    tailer.scan()
    (first,) = tailer.read(1 << 20)
    with open(log, "ab") as f:
        f.write(b"second\nthird\n")  # not read yet when the rotation comes
    copy_truncate(log, tmp_path / "a.log.1", then=b"new file line\n")
    tailer.scan()
    got = {(os.path.basename(line.path), line.offset, line.raw): line.identity for line in tailer.read(1 << 20)}
    assert sorted(got) == [("a.log", 0, b"new file line"), ("a.log.1", 6, b"second"), ("a.log.1", 13, b"third")]
    # The copy goes on under the original's identity (so the same _ids); the truncated file is new.
    assert got[("a.log.1", 6, b"second")] == first.identity != got[("a.log", 0, b"new file line")]
    assert read_all(tailer) == []
    tailer.close()


def test_it_does_not_read_a_copy_while_its_original_is_still_whole(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"first\nsecond\n")
    tailer = Tailer([str(tmp_path / "a.log*")])
    assert len(read_all(tailer)) == 2
    (tmp_path / "a.log.1").write_bytes(log.read_bytes())  # copied, not truncated yet
    assert read_all(tailer) == []
    assert [os.path.basename(path) for _, path, _ in tailer.files()] == ["a.log"]
    tailer.close()


def test_it_reads_a_file_that_merely_starts_like_another(tmp_path):
    (tmp_path / "a.log").write_bytes(b"Starting server\nA\n")
    tailer = Tailer([str(tmp_path / "*.log")])
    assert len(read_all(tailer)) == 2
    (tmp_path / "b.log").write_bytes(b"Starting server\nB, other content\n")
    assert read_all(tailer) == [("b.log", 0, b"Starting server"), ("b.log", 16, b"B, other content")]
    tailer.close()


def test_it_takes_up_a_copy_at_the_saved_offset_after_a_restart(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"first\nsecond\n")
    first = Tailer([str(tmp_path / "a.log*")])
    read_all(first)
    identity = first.files()[0][0]
    first.close()
    copy_truncate(log, tmp_path / "a.log.1", then=b"new\n")
    restarted = Tailer([str(tmp_path / "a.log*")], {identity: 6})  # only "first" was acknowledged
    assert sorted(read_all(restarted)) == [("a.log", 0, b"new"), ("a.log.1", 6, b"second")]
    assert {i for i, _, _ in restarted.files()} >= {identity}
    restarted.close()


def test_it_never_reads_new_content_under_the_old_identity_after_a_truncate(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"old line\n")
    tailer = Tailer([str(tmp_path / "*.log")])
    tailer.scan()
    (old,) = tailer.read(1 << 20)
    # Truncated and rewritten past our position before the next scan.
    log.write_bytes(b"brand new first line\nand more\n")
    assert tailer.read(1 << 20) == []
    tailer.scan()
    new = tailer.read(1 << 20)
    assert [(line.offset, line.raw) for line in new] == [(0, b"brand new first line"), (21, b"and more")]
    assert new[0].identity != old.identity
    tailer.close()


@pytest.mark.parametrize("length, kept, truncated", [
    pytest.param(200_000, 200_000, False, id="long line under the limit"),
    pytest.param(300_000, 256 << 10, True, id="over the limit: cut"),
])
def test_it_reads_long_lines_whole_or_cut_to_the_limit(tmp_path, length, kept, truncated):
    (tmp_path / "a.log").write_bytes(b"x" * length + b"\nnext\n")
    tailer = Tailer([str(tmp_path / "*.log")], max_line_bytes=256 << 10)
    tailer.scan()
    long_line, after = tailer.read(1 << 20)
    assert (len(long_line.raw), long_line.truncated, long_line.end) == (kept, truncated, length + 1)
    assert (after.offset, after.raw) == (length + 1, b"next")
    tailer.close()


def test_it_waits_for_the_end_of_a_long_line(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"start\n" + b"y" * 150_000)
    tailer = Tailer([str(tmp_path / "*.log")])
    assert read_all(tailer) == [("a.log", 0, b"start")]
    assert read_all(tailer) == []
    with open(log, "ab") as f:
        f.write(b"z\n")
    ((_, offset, raw),) = read_all(tailer)
    assert (offset, len(raw)) == (6, 150_001)
    tailer.close()


class TruncatedMidScan(Tailer):
    """A tailer whose original is truncated after the scan checked it and before it meets the copy."""

    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.log, self.done = log, False

    def _discover(self, path):
        if path.endswith(".1") and not self.done:
            self.done = True
            with open(self.log, "r+b") as f:
                f.truncate(0)
        return super()._discover(path)


def test_it_follows_a_copy_even_when_the_truncate_lands_in_the_middle_of_a_scan(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"first\n")
    tailer = TruncatedMidScan([str(tmp_path / "a.log*")], log=log)
    tailer.scan()
    (first,) = tailer.read(1 << 20)
    with open(log, "ab") as f:
        f.write(b"second\n")
    (tmp_path / "a.log.1").write_bytes(log.read_bytes())  # the copy; the truncate comes mid-scan
    tailer.scan()
    got = tailer.read(1 << 20)
    assert [(os.path.basename(line.path), line.offset, line.raw) for line in got] == [("a.log.1", 6, b"second")]
    assert got[0].identity == first.identity
    with open(log, "ab") as f:
        f.write(b"new file line\n")
    assert read_all(tailer) == [("a.log", 0, b"new file line")]
    tailer.close()


def test_it_hands_on_the_files_it_is_done_with(tmp_path):
    log, gone = tmp_path / "a.log", tmp_path / "gone.log"
    log.write_bytes(b"one\n")
    gone.write_bytes(b"old\n")
    fd = os.open(gone, os.O_RDONLY)
    gone_identity = identify(fd)
    os.close(fd)
    gone.unlink()
    tailer = Tailer([str(tmp_path / "*.log")], {gone_identity: 4}, close_after=5)
    read_all(tailer)
    # a saved file not there at the first scan is done with
    assert tailer.take_closed() == [(gone_identity, 4)] and tailer.take_closed() == []
    identity = tailer.files()[0][0]
    log.rename(tmp_path / "a.log.1")
    tailer.scan(now=100)
    tailer.scan(now=104)
    assert tailer.take_closed() == []
    tailer.scan(now=105)
    assert tailer.take_closed() == [(identity, 4)] and tailer.files() == []
    tailer.close()
