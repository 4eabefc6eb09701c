from datetime import datetime, timezone

import pytest

from collectors.logship.record import document_id, index_name
from collectors.logship.tail import FileIdentity

NOW = datetime(2025, 3, 4, 23, 59, tzinfo=timezone.utc)
A = FileIdentity(2049, 1234, "00aa11bb22cc33dd")


def test_it_derives_the_same_id_for_the_same_line():
    assert document_id(A, 100) == document_id(FileIdentity(2049, 1234, "00aa11bb22cc33dd"), 100)


@pytest.mark.parametrize("other", [
    pytest.param((A, 101), id="other offset"),
    pytest.param((FileIdentity(2049, 1235, A.fingerprint), 100), id="other inode"),
    pytest.param((FileIdentity(2049, 1234, "ffaa11bb22cc33dd"), 100), id="reused inode, other first line"),
])
def test_it_derives_different_ids_for_different_lines(other):
    assert document_id(A, 100) != document_id(*other)


def test_it_makes_the_ids_of_one_file_increase_with_the_offset():
    ids = [document_id(A, offset) for offset in (0, 15, 16, 4096, 1 << 40)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_it_round_trips_a_file_identity_through_text():
    assert FileIdentity.parse(str(A)) == A


@pytest.mark.parametrize("timestamp, expected", [
    pytest.param("2025-01-02T03:04:05.000Z", "p-2025.01.02", id="UTC"),
    pytest.param("2025-13-02T03:04:05.000Z", "p-2025.03.04", id="UTC shape, impossible month: ingestion day"),
    pytest.param("2025-01-02T03:04:05Z", "p-2025.01.02", id="UTC without fraction"),
    pytest.param("2025-01-02T23:30:00+02:00", "p-2025.01.02", id="offset, same UTC day"),
    pytest.param("2025-01-02T23:30:00-02:00", "p-2025.01.03", id="offset crossing midnight UTC"),
    pytest.param(1735787045000, "p-2025.01.02", id="epoch millis"),
    pytest.param("yesterday", "p-2025.03.04", id="unparseable: ingestion day"),
    pytest.param(None, "p-2025.03.04", id="missing: ingestion day"),
    pytest.param(True, "p-2025.03.04", id="boolean: ingestion day"),
])
def test_it_routes_to_the_utc_day_of_the_timestamp(timestamp, expected):
    assert index_name("p", timestamp, NOW) == expected
