"""argon2id hashes computed by libsodium are argon2-cffi's hashes (core.accounts.hashing)."""

from __future__ import annotations

import argon2
import pytest
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from core.accounts.hashing import PasswordHasher

PASSWORD = "Mật khẩu đủ dài 2026"


@pytest.fixture(params=[(1, 64), (2, 19456)], ids=["tests", "owasp"])
def parameters(request):
    time_cost, memory_cost = request.param
    return {"time_cost": time_cost, "memory_cost": memory_cost, "parallelism": 1}


def test_libsodium_writes_the_standard_string_with_our_parameters(parameters):
    digest = PasswordHasher(**parameters).hash(PASSWORD)

    params = argon2.extract_parameters(digest)
    assert digest.startswith("$argon2id$v=19$")
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        parameters["time_cost"],
        parameters["memory_cost"],
        1,
    )
    assert (params.salt_len, params.hash_len) == (16, 32)
    assert not PasswordHasher(**parameters).check_needs_rehash(digest)


def test_each_library_verifies_the_others_hashes(parameters):
    ours, theirs = PasswordHasher(**parameters), argon2.PasswordHasher(**parameters)

    assert theirs.verify(ours.hash(PASSWORD), PASSWORD)
    assert ours.verify(theirs.hash(PASSWORD), PASSWORD)
    assert ours.verify(theirs.hash(PASSWORD.encode()), PASSWORD.encode())


def test_a_wrong_password_is_argon2s_mismatch(parameters):
    hasher = PasswordHasher(**parameters)
    digest = hasher.hash(PASSWORD)

    with pytest.raises(VerifyMismatchError):
        hasher.verify(digest, PASSWORD + " ")
    with pytest.raises(VerifyMismatchError):
        hasher.verify(digest, "")


def test_libsodium_does_the_work_for_one_lane(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("argon2-cffi was asked")

    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(argon2.PasswordHasher, "hash", refuse)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", refuse)

    assert hasher.verify(hasher.hash(PASSWORD), PASSWORD)


def test_what_libsodium_cannot_compute_goes_to_argon2_cffi():
    two_lanes = PasswordHasher(time_cost=1, memory_cost=64, parallelism=2)
    digest = two_lanes.hash(PASSWORD)
    argon2i = argon2.PasswordHasher(time_cost=1, memory_cost=64, type=argon2.Type.I).hash(PASSWORD)

    assert ",p=2$" in digest
    assert two_lanes.verify(digest, PASSWORD)
    assert PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).verify(argon2i, PASSWORD)
    with pytest.raises(VerifyMismatchError):
        two_lanes.verify(digest, "nope")


def test_a_string_that_is_no_hash_is_refused():
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)

    with pytest.raises((InvalidHashError, VerifyMismatchError)):
        hasher.verify("$argon2id$v=19$m=64,t=1,p=1$not$valid", PASSWORD)
    with pytest.raises(InvalidHashError):
        hasher.verify("not a hash", PASSWORD)
