import pytest

from collectors.logship.batch import Batch
from collectors.logship.record import Record
from collectors.logship.tail import FileIdentity

A = FileIdentity(1, 2, "aa")
B = FileIdentity(1, 3, "bb")


def record(offset: int, *, identity=A, size: int = 10) -> Record:
    return Record(identity, f"/logs/{identity.ino}.log", offset, offset + size, "p-2025.01.01", f"id{offset:06d}", b"x" * size)


def test_it_is_due_when_the_line_count_is_reached():
    batch = Batch(max_lines=2, max_bytes=10_000, max_age=60)
    batch.add(record(0), now=0)
    assert not batch.is_due(1)
    batch.add(record(10), now=1)
    assert batch.is_full() and batch.is_due(1)


def test_it_refuses_a_record_that_would_pass_the_byte_bound():
    one = record(0)
    batch = Batch(max_lines=100, max_bytes=one.size * 2, max_age=60)
    batch.add(one, now=0)
    assert batch.fits(record(10))
    batch.add(record(10), now=0)
    assert not batch.fits(record(20))


def test_it_takes_an_oversized_record_when_empty():
    batch = Batch(max_lines=100, max_bytes=5, max_age=60)
    assert batch.fits(record(0, size=1000))


def test_it_is_due_by_age_from_its_first_record():
    batch = Batch(max_lines=100, max_bytes=10_000, max_age=2.0)
    assert not batch.is_due(100)  # an empty batch is never due
    batch.add(record(0), now=10)
    batch.add(record(10), now=11.5)
    assert not batch.is_due(11.9)
    assert batch.is_due(12.0)


def test_it_reports_the_highest_end_offset_per_file():
    batch = Batch(max_lines=100, max_bytes=10_000, max_age=60)
    for r in (record(0), record(0, identity=B), record(10), record(10, identity=B, size=5)):
        batch.add(r, now=0)
    assert batch.ends() == {A: (20, "/logs/2.log"), B: (15, "/logs/3.log")}


@pytest.mark.parametrize("bounds", [
    pytest.param(dict(max_lines=0, max_bytes=1, max_age=1), id="no lines"),
    pytest.param(dict(max_lines=1, max_bytes=0, max_age=1), id="no bytes"),
    pytest.param(dict(max_lines=1, max_bytes=1, max_age=0), id="no age"),
])
def test_it_refuses_bounds_that_are_not_positive(bounds):
    with pytest.raises(ValueError):
        Batch(**bounds)
