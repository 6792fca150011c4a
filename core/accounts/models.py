"""Users and their roles."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.schools.models import School, SchoolClass


class Role(enum.StrEnum):
    """What a user may do; a user may hold several roles."""

    ADMIN = "admin"  #: district scope: everything
    ORGANIZER = "organizer"  #: district scope: campaigns, contests, judging, publication
    COORDINATOR = "coordinator"  #: one school: roster, movement activities, school results
    JUDGE = "judge"  #: assigned essays only
    STUDENT = "student"  #: own class
    SAFEGUARDING = "safeguarding"  #: designated staff who receive confidential reports


DISTRICT_ROLES = {Role.ADMIN, Role.ORGANIZER}
SCHOOL_SCOPED_ROLES = {Role.COORDINATOR, Role.STUDENT}


class User(UserMixin, db.Model):
    __table_args__ = (sa.UniqueConstraint("school_id", "student_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: argon2id hash; empty until the user sets a password (students activate first).
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: The person's own school: a student's or a teacher's (used to avoid judging conflicts).
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school_class.id"), index=True)
    student_code: Mapped[str | None] = mapped_column(sa.String(40))
    date_of_birth: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(sa.String(10))
    #: Keyed hash (HMAC-SHA256) of the one-time activation code printed on the sign-in slip.
    activation_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    activation_expires_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    school: Mapped[School | None] = relationship()
    school_class: Mapped[SchoolClass | None] = relationship()
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    #: The signed-in session (core.auth LoginSession id) this object was loaded or signed in
    #: for; not a column.
    login_session_id = None

    # Flask-Login reads is_active.
    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id: the user and their signed-in session, "<id>:<session>".

        The user loader accepts nothing else, so a session cookie names a session that can be
        ended (core.auth.sessions).
        """
        if self.login_session_id is None:
            raise RuntimeError(
                "sign in through core.auth.sessions.begin(), which names the session"
            )
        return f"{self.id}:{self.login_session_id}"

    # UserMixin compares get_id(); two loads of one person in different sessions are one user.
    __hash__ = object.__hash__

    def __eq__(self, other):
        if isinstance(other, User):
            return self.id == other.id if self.id is not None else self is other
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    @property
    def roles(self) -> set[Role]:
        return {assignment.role for assignment in self.role_assignments}

    def has_role(self, *roles: Role | str) -> bool:
        """Tell whether the user holds any of the given roles."""
        wanted = {Role(r) for r in roles}
        return bool(wanted & self.roles)

    def school_ids_for(self, role: Role) -> set[int]:
        """Return the schools this user holds ``role`` for."""
        return {a.school_id for a in self.role_assignments if a.role == role and a.school_id}

    @property
    def is_district_staff(self) -> bool:
        return self.has_role(Role.ADMIN, Role.ORGANIZER)

    @hybrid_property
    def is_active_student(self) -> bool:
        """Who counts as a student everywhere: an account in use that holds the student role."""
        return self.active and self.has_role(Role.STUDENT)

    @is_active_student.inplace.expression
    @classmethod
    def _is_active_student_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(
            cls.active.is_(True),
            sa.exists().where(
                RoleAssignment.user_id == cls.id, RoleAssignment.role == Role.STUDENT
            ),
        )

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(db.Model):
    """One role held by one user, scoped to a school where the role needs one."""

    __tablename__ = "role_assignment"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=20))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_assignments")
    school: Mapped[School | None] = relationship()


#: Roles an administrator cannot give by one click: a second administrator approves the grant
#: (the safeguarding role opens every confidential report about children).
NEEDS_SECOND_ADMIN = {Role.SAFEGUARDING}


class RoleGrantRequest(db.Model):
    """A grant of a role in NEEDS_SECOND_ADMIN, waiting for a different administrator."""

    __tablename__ = "role_grant_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=20))
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id"))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    school: Mapped[School | None] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
