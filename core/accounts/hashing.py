"""argon2id password hashes computed by libsodium: the same hashes, in about half the time.

A sign-in is one argon2id verification and little else (issue 18). argon2-cffi's bundled
libargon2 is its portable SSE2 build: ~20 ms of CPU for OWASP's parameters (19 MiB, t=2, p=1)
on our servers, plus ~2–6 ms of page faults for the 19 MiB block it allocates each time.
libsodium (through PyNaCl, PyCA's binding) picks its AVX2/AVX-512 implementation at run time and
maps the block itself: ~12 ms for the same parameters, faults included (``python -m
bench.signin`` shows the sign-in rate this buys). The strings are the standard encoding both
read and write (``$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>``, 16-byte salt, 32-byte hash),
so hashes stored by either verify with the other.

:class:`PasswordHasher` is argon2-cffi's hasher (its parameters, ``check_needs_rehash`` and
exceptions) with libsodium doing the work whenever it can compute the same thing: argon2id with
one lane and argon2-cffi's default salt and hash lengths. Anything else (another variant, more
lanes, a string libsodium does not parse) goes to argon2-cffi, as before.
"""

from __future__ import annotations

import argon2
import nacl.exceptions
import nacl.pwhash.argon2id as sodium
from argon2.exceptions import InvalidHashError, VerifyMismatchError

#: The start of every hash libsodium can check: argon2id, version 1.3 (19).
_SODIUM_PREFIX = "$argon2id$v=19$"
_DEFAULTS = argon2.PasswordHasher()


def _as_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def _one_lane(digest: str) -> bool:
    """``$argon2id$v=19$m=…,t=…,p=1$…``: libsodium computes one lane only."""
    if not digest.startswith(_SODIUM_PREFIX):
        return False
    parameters = digest[len(_SODIUM_PREFIX) :].split("$", 1)[0]
    return parameters.rsplit(",", 1)[-1] == "p=1"


class PasswordHasher(argon2.PasswordHasher):
    """argon2-cffi's :class:`argon2.PasswordHasher`, hashing and verifying with libsodium."""

    def _sodium_computes_ours(self) -> bool:
        return (
            self.type is argon2.Type.ID
            and self.parallelism == 1
            and self.salt_len == _DEFAULTS.salt_len == sodium.SALTBYTES
            and self.hash_len == _DEFAULTS.hash_len
            and self.time_cost >= sodium.OPSLIMIT_MIN
            and self.memory_cost * 1024 >= sodium.MEMLIMIT_MIN
        )

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        if salt is not None or not self._sodium_computes_ours():
            return super().hash(password, salt=salt)
        digest = sodium.str(
            _as_bytes(password), opslimit=self.time_cost, memlimit=self.memory_cost * 1024
        )
        return digest.decode("ascii")

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        digest = hash.decode("ascii") if isinstance(hash, bytes) else hash
        if not _one_lane(digest):
            return super().verify(hash, password)
        try:
            return sodium.verify(digest.encode("ascii"), _as_bytes(password))
        except nacl.exceptions.InvalidkeyError:
            raise VerifyMismatchError("The password does not match the supplied hash") from None
        except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as error:
            raise InvalidHashError(str(error)) from None
