"""Roles that need two administrators: one asks, a different one approves.

Today one click gave an administrator the safeguarding role, and with it every confidential
report about children. Now a grant of a role in NEEDS_SECOND_ADMIN by an administrator (to
themselves or anyone) waits as a RoleGrantRequest until a different administrator, who is not
the person receiving the role, approves it; the district safeguarding lead is told at once of
the request and of the approval.

The district safeguarding lead is the account named by the ``SAFEGUARDING_LEAD_USERNAME``
setting (the demo's ``safeguard``); when that account does not exist, the holders of the
district-wide safeguarding role are told instead.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from core import audit
from core.accounts.models import NEEDS_SECOND_ADMIN, Role, RoleAssignment, RoleGrantRequest, User
from core.accounts.services import grant_role
from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.notifications.services import notify
from core.schools.models import School


def needs_second_admin(role: Role | str) -> bool:
    return Role(role) in NEEDS_SECOND_ADMIN


def safeguarding_leads() -> list[int]:
    """Who is told: the configured lead, or else the district-wide safeguarding staff."""
    username = current_app.config.get("SAFEGUARDING_LEAD_USERNAME")
    if username:
        lead = db.session.scalar(
            sa.select(User.id).where(User.username == username, User.active.is_(True))
        )
        if lead is not None:
            return [lead]
    return sorted(
        set(
            db.session.scalars(
                sa.select(RoleAssignment.user_id).where(
                    RoleAssignment.role == Role.SAFEGUARDING, RoleAssignment.school_id.is_(None)
                )
            )
        )
    )


def _admins_except(*user_ids: int) -> list[int]:
    return sorted(
        set(
            db.session.scalars(
                sa.select(RoleAssignment.user_id)
                .join(User, User.id == RoleAssignment.user_id)
                .where(
                    RoleAssignment.role == Role.ADMIN,
                    User.active.is_(True),
                    RoleAssignment.user_id.not_in(user_ids),
                )
            )
        )
    )


def pending_for(user: User) -> list[RoleGrantRequest]:
    return list(
        db.session.scalars(
            sa.select(RoleGrantRequest)
            .where(RoleGrantRequest.user_id == user.id, RoleGrantRequest.approved_at.is_(None))
            .order_by(RoleGrantRequest.id)
        )
    )


def get_request(request_id: int) -> RoleGrantRequest:
    """A pending request, or 404."""
    pending = db.session.get(RoleGrantRequest, request_id)
    if pending is None or pending.approved_at is not None:
        raise NotFound()
    return pending


def request_grant(
    *,
    actor: User,
    user: User,
    role: Role,
    school: School | None = None,
    now: datetime | None = None,
) -> RoleGrantRequest:
    """Ask for ``role`` to be given to ``user``; the lead and the other administrators are told."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    role = Role(role)
    now = now or utcnow()
    school_id = school.id if school else None
    existing = next(
        (p for p in pending_for(user) if p.role == role and p.school_id == school_id), None
    )
    if existing:
        return existing
    request = RoleGrantRequest(
        user=user, role=role, school=school, requested_by=actor, requested_at=now
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor=actor,
        action="role.grant_requested",
        obj=user,
        after={"role": role.value, "school": school.code if school else None},
        now=now,
    )
    params = {"user": user.full_name, "by": actor.full_name}
    page = {"endpoint": "accounts.edit_user", "values": {"user_id": user.id}}
    notify(
        user_ids=safeguarding_leads(),
        kind="safeguarding_grant_requested",
        params=params,
        **page,
        now=now,
    )
    notify(
        user_ids=_admins_except(actor.id, user.id),
        kind="role_grant_awaiting_approval",
        params=params,
        **page,
        now=now,
    )
    db.session.flush()
    return request


def approve_grant(*, actor: User, request_id: int, now: datetime | None = None) -> RoleAssignment:
    """A second administrator (not the requester, not the receiver) approves; the role is given."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    request = get_request(request_id)
    if actor.id in (request.requested_by_id, request.user_id):
        raise Conflict(_("A different administrator must approve this grant."))
    now = now or utcnow()
    request.approved_by = actor
    request.approved_at = now
    db.session.flush()
    assignment = grant_role(
        actor=actor,
        user=request.user,
        role=request.role,
        school=request.school,
        now=now,
        approval=request,
    )
    notify(
        user_ids=safeguarding_leads(),
        kind="safeguarding_grant_approved",
        params={"user": request.user.full_name, "by": actor.full_name},
        endpoint="accounts.edit_user",
        values={"user_id": request.user_id},
        now=now,
    )
    return assignment
