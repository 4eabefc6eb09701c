import pytest

from console.auth.passwords import (
    checked_password,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_it_hashes_with_argon2id_and_a_salt():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second
    assert "correct horse" not in first


def test_it_verifies_the_right_password_only():
    stored = hash_password("correct horse")
    assert verify_password(stored, "correct horse") is True
    assert verify_password(stored, "correct horsE") is False


def test_it_never_matches_a_missing_or_broken_hash():
    assert verify_password(None, "not a password of anybody") is False
    assert verify_password("not-a-hash", "anything") is False


def test_it_wants_no_rehash_of_a_fresh_hash():
    assert needs_rehash(hash_password("correct horse")) is False


def test_it_refuses_a_short_password():
    with pytest.raises(ValueError, match="at least 8"):
        checked_password("short")
