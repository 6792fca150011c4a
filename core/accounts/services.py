"""Accounts: passwords, activation codes, users and roles. Services flush; callers commit.

Over 400 lines: accounts' life cycle (create, activate, reset, disable, roles) in one
place so every path that ends sessions is seen together.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from core import audit
from core.accounts import passwords, signals
from core.accounts.hashing import PasswordHasher
from core.accounts.models import (
    DISTRICT_ROLES,
    NEEDS_SECOND_ADMIN,
    SCHOOL_SCOPED_ROLES,
    Role,
    RoleAssignment,
    User,
)
from core.arrays import fetch_columns
from core.clock import utcnow
from core.db import Prepared, read_before_writing
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.schools.models import School, SchoolClass

#: Activation codes avoid letters and digits that are easy to misread on paper (0/O, 1/I/L).
ACTIVATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACTIVATION_LENGTH = 10  # 31**10 ≈ 2**49.5
MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH


def password_hasher() -> PasswordHasher:
    """Return the application's argon2id hasher (OWASP parameters outside tests)."""
    hasher = current_app.extensions.get("mangxanh.hasher")
    if hasher is None:
        cfg = current_app.config
        hasher = PasswordHasher(
            time_cost=cfg["ARGON2_TIME_COST"],
            memory_cost=cfg["ARGON2_MEMORY_COST"],
            parallelism=cfg["ARGON2_PARALLELISM"],
        )
        current_app.extensions["mangxanh.hasher"] = hasher
    return hasher


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher().hash(password)


def _dummy_hash() -> str:
    """A hash of a random secret with the hasher's parameters, verified when no real one can be."""
    digest = current_app.extensions.get("mangxanh.dummy_hash")
    if digest is None:
        digest = password_hasher().hash(secrets.token_urlsafe(16))
        current_app.extensions["mangxanh.dummy_hash"] = digest
    return digest


def _verify(digest: str, password: str) -> bool:
    """One argon2id verification (the whole cost of a sign-in, ~12 ms of CPU with libsodium)."""
    try:
        return password_hasher().verify(digest, password or "")
    except (VerificationError, InvalidHashError):
        return False


def spend_a_verification(password: str) -> None:
    """Verify ``password`` against the dummy hash: a failed sign-in costs what a real check does."""
    _verify(_dummy_hash(), password)


def check_password(user: User, password: str) -> bool:
    """Tell whether ``password`` is the user's; upgrade the hash if the parameters changed."""
    if not user.password_hash or not _verify(user.password_hash, password):
        return False
    _rehash_if_needed(user, password)
    return True


def _rehash_if_needed(user: User, password: str) -> None:
    hasher = password_hasher()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)


def find_user(username: str) -> User | None:
    """Return the user with this username (case-insensitive), or None."""
    name = (username or "").strip().lower()
    if not name:
        return None
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == name))


#: What a sign-in reads before the hash: nothing else, and no lock held (see authenticate).
_CREDENTIALS = sa.select(User.id, User.password_hash, User.active).where(
    sa.func.lower(User.username) == sa.bindparam("name")
)
#: The signed-in user with their roles and school (for the reply), in one query.
_SIGNED_IN_USER = (
    sa.select(User)
    .options(joinedload(User.role_assignments), joinedload(User.school))
    .where(User.id == sa.bindparam("user_id"))
)


def authenticate(*, username: str, password: str, now: datetime | None = None) -> User | None:
    """Return the active user these credentials belong to, or None.

    The password hash is the whole cost (issue 18): the credentials are read first, by a read
    that leaves no lock behind (on SQLite, a write request's transaction would otherwise hold
    the database's one write lock through the 20 ms hash, and sign-ins would queue behind each
    other), then verified; only then is the user loaded, with roles and school, in one query.
    A failed sign-in runs the credentials' read and one verification, whatever failed.
    """
    name = (username or "").strip().lower()
    rows = read_before_writing(db.session, _CREDENTIALS, {"name": name}) if name else []
    found = rows[0] if rows else None
    if found is None or not found.active or not found.password_hash:
        # Unknown, disabled or never activated: one verification all the same, so the time a
        # failed sign-in takes tells nothing about the account.
        spend_a_verification(password)
        return None
    if not _verify(found.password_hash, password):
        return None
    user = db.session.execute(_SIGNED_IN_USER, {"user_id": found.id}).unique().scalar_one_or_none()
    if user is None or not user.active or user.password_hash != found.password_hash:
        return None  # changed between the read and now: the password checked is not theirs
    _rehash_if_needed(user, password)
    user.last_login_at = now or utcnow()
    return user


def validate_new_password(user: User, password: str) -> None:
    """Refuse passwords that are too short, too common, or built from the username or school."""
    names = (user.username, user.school.code if user.school is not None else "")
    passwords.check_new_password(password, names=names)


def set_password(*, user: User, new_password: str) -> None:
    """Give the user a new password and clear the must-change flag and any activation code.

    Every session and remember-me login of the account ends (the caller may sign the user in
    again on this request).
    """
    validate_new_password(user, new_password)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.activation_code_hash = None
    user.activation_expires_at = None
    signals.sessions_must_end.send(user, now=None)
    db.session.flush()


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Change a password the user knows."""
    if not check_password(user, current_password):
        raise ValidationFailed(_("The current password is not correct."), field="current_password")
    if current_password == new_password:
        raise ValidationFailed(
            _("The new password must differ from the current one."), field="new_password"
        )
    set_password(user=user, new_password=new_password)


def reset_password(*, actor: User, user: User, now: datetime | None = None) -> str:
    """Give the user a temporary password they must change at next sign-in; return it.

    Every session and remember-me login of the account ends.
    """
    temporary = secrets.token_urlsafe(9)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    signals.sessions_must_end.send(user, now=now)
    audit.record(actor=actor, action="user.password_reset", obj=user, now=now)
    db.session.flush()
    return temporary


def activation_digest(code: str) -> str:
    """Return the keyed hash an activation code is stored as."""
    normalized = "".join(code.split()).replace("-", "").upper()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def new_activation_code() -> str:
    """Return a fresh random activation code."""
    return "".join(secrets.choice(ACTIVATION_ALPHABET) for _ in range(ACTIVATION_LENGTH))


def format_activation_code(code: str) -> str:
    """Group a code for printing: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def issue_activation_code(*, user: User, now: datetime | None = None) -> str:
    """Give the user a new one-time activation code (invalidating any older one); return it."""
    now = now or utcnow()
    code = new_activation_code()
    user.activation_code_hash = activation_digest(code)
    user.activation_expires_at = now + timedelta(days=current_app.config["ACTIVATION_CODE_DAYS"])
    return code


def activate(*, username: str, code: str, new_password: str, now: datetime | None = None) -> User:
    """Let a new user prove their slip's code and choose a password."""
    now = now or utcnow()
    user = find_user(username)
    valid = (
        user is not None
        and user.active
        and user.activation_code_hash is not None
        and user.activation_expires_at is not None
        and user.activation_expires_at > now
        and hmac.compare_digest(user.activation_code_hash, activation_digest(code or ""))
    )
    if not valid:
        raise ValidationFailed(
            _("The username or activation code is not correct, or the code has expired."),
            field="code",
        )
    set_password(user=user, new_password=new_password)
    user.last_login_at = now
    return user


def create_user(
    *,
    username: str,
    full_name: str,
    password: str | None = None,
    email: str | None = None,
    school: School | None = None,
    must_change_password: bool = False,
    date_of_birth: date | None = None,
    is_demo: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a user; the username must be free."""
    username = username.strip()
    if not username:
        raise ValidationFailed(_("A username is required."), field="username")
    if find_user(username) is not None:
        raise Conflict(
            _("The username %(name)s is already taken.", name=username), field="username"
        )
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=(email or None),
        school=school,
        must_change_password=must_change_password,
        date_of_birth=date_of_birth,
        is_demo=is_demo,
        password_hash=password_hash or (hash_password(password) if password else None),
    )
    db.session.add(user)
    db.session.flush()
    return user


def grant_role(
    *,
    actor: User | None,
    user: User,
    role: Role,
    school: School | None = None,
    now=None,
    approval=None,
) -> RoleAssignment:
    """Give ``user`` a role (scoped to ``school`` where the role needs one); audited.

    A role in NEEDS_SECOND_ADMIN is given by an administrator only with ``approval``, a
    RoleGrantRequest approved by a second administrator (core.accounts.grants).
    """
    role = Role(role)
    if role in NEEDS_SECOND_ADMIN and actor is not None and not _approved(approval):
        raise Conflict(_("This role needs a second administrator's approval."))
    if role in SCHOOL_SCOPED_ROLES and school is None:
        raise ValidationFailed(_("This role needs a school."), field="school")
    if role in DISTRICT_ROLES:
        school = None
    existing = next(
        (
            a
            for a in user.role_assignments
            if a.role == role and a.school_id == (school.id if school else None)
        ),
        None,
    )
    if existing:
        return existing
    assignment = RoleAssignment(role=role, school=school)
    user.role_assignments.append(assignment)
    audit.record(
        actor=actor,
        action="role.grant",
        obj=user,
        after={"role": role.value, "school": school.code if school else None},
        now=now,
    )
    db.session.flush()
    return assignment


def _approved(approval) -> bool:
    return (
        approval is not None
        and approval.approved_by_id is not None
        and approval.approved_by_id != approval.requested_by_id
    )


def revoke_role(*, actor: User, user: User, assignment_id: int, now=None) -> None:
    """Take a role away from ``user``; audited."""
    assignment = next((a for a in user.role_assignments if a.id == assignment_id), None)
    if assignment is None:
        raise NotFound()
    if assignment.role == Role.ADMIN and actor.id == user.id:
        raise Conflict(_("You cannot remove your own administrator role."))
    audit.record(
        actor=actor,
        action="role.revoke",
        obj=user,
        before={
            "role": assignment.role.value,
            "school": assignment.school.code if assignment.school else None,
        },
        now=now,
    )
    user.role_assignments.remove(assignment)
    db.session.flush()


def set_active(*, actor: User, user: User, active: bool, now=None) -> None:
    """Enable or disable an account; audited. Disabling ends every session of the account."""
    if user.id == actor.id and not active:
        raise Conflict(_("You cannot disable your own account."))
    if user.active != active:
        audit.record(
            actor=actor,
            action="user.activate" if active else "user.deactivate",
            obj=user,
            before={"active": user.active},
            after={"active": active},
            now=now,
        )
        user.active = active
        if not active:
            signals.sessions_must_end.send(user, now=now)
        db.session.flush()


def students_of(columns: sa.Select, *, levels=(), grades=()) -> sa.Select:
    """Active students, filtered by school level and grade when given (empty: everyone).

    ``columns`` is the select to extend, e.g. ``sa.select(User.id)``; a contest's eligibility is
    this query with its levels and grades.
    """
    query = (
        columns.join(School, School.id == User.school_id)
        .join(SchoolClass, SchoolClass.id == User.class_id)
        .where(User.is_active_student)
    )
    if levels:
        query = query.where(School.level.in_(list(levels)))
    if grades:
        query = query.where(SchoolClass.grade.in_(list(grades)))
    return query


#: Active users placed in a school and a class, and the users with a student role: the two
#: sides of ``students_of``'s join, read as numpy columns (core.arrays).
_PLACED_USERS = Prepared(
    sa.select(User.id, User.school_id, User.class_id).where(
        User.active.is_(True), User.school_id.is_not(None), User.class_id.is_not(None)
    )
)
_STUDENT_ROLES = Prepared(
    sa.select(RoleAssignment.user_id).where(RoleAssignment.role == Role.STUDENT)
)


def student_counts(*, levels=(), grades=()) -> dict[tuple[int, int], int]:
    """How many students ``students_of`` finds in each (school, class).

    The same rule, joined with numpy: for a whole district's students the database's hash join
    of users and roles costs more than reading both sides as columns and matching them. A
    student counts once, whatever their roles.
    """
    users = fetch_columns(_PLACED_USERS, [("id", "i4"), ("school", "i4"), ("klass", "i4")])
    students = fetch_columns(_STUDENT_ROLES, [("user", "i4")])
    chosen = np.isin(users["id"], students["user"])
    if levels:
        schools = db.session.scalars(sa.select(School.id).where(School.level.in_(list(levels))))
        chosen &= np.isin(users["school"], np.fromiter(schools, np.int32))
    if grades:
        classes = db.session.scalars(
            sa.select(SchoolClass.id).where(SchoolClass.grade.in_(list(grades)))
        )
        chosen &= np.isin(users["klass"], np.fromiter(classes, np.int32))
    pairs = users["school"][chosen].astype(np.int64) << 32 | users["klass"][chosen]
    found, counts = np.unique(pairs, return_counts=True)
    return {
        (int(pair >> 32), int(pair & 0xFFFFFFFF)): int(count)
        for pair, count in zip(found.tolist(), counts.tolist(), strict=True)
    }


def expire_activation_codes(*, now: datetime | None = None) -> int:
    """Forget activation codes past their expiry; return how many were cleared."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(User)
        .where(User.activation_code_hash.is_not(None), User.activation_expires_at <= now)
        .values(activation_code_hash=None, activation_expires_at=None)
    )
    return result.rowcount or 0


def create_admin(*, username: str, full_name: str, password: str, now=None) -> User:
    """Create an administrator with a password (the first one: ``flask create-admin``).

    The password rules are the app's own (``validate_new_password``); the username must be free.
    """
    username = (username or "").strip()
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationFailed(_("The full name is missing."), field="full_name")
    validate_new_password(User(username=username), password)
    user = create_user(username=username, full_name=full_name, password=password)
    grant_role(actor=None, user=user, role=Role.ADMIN, now=now)
    return user
