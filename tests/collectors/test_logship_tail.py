import os

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


def test_it_keeps_reading_a_rotated_file_through_its_descriptor(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"one\n")
    tailer = Tailer([str(tmp_path / "*.log")])
    assert read_all(tailer) == [("a.log", 0, b"one")]
    with open(log, "ab") as f:
        f.write(b"two\n")
    log.rename(tmp_path / "a.log.1")
    log.write_bytes(b"new one\n")
    assert sorted(read_all(tailer)) == [("a.log", 0, b"new one"), ("a.log", 4, b"two")]
    tailer.scan()
    assert [os.path.basename(path) for _, path, _ in tailer.files()] == ["a.log"]
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
