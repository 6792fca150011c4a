"""Issue 14: the safeguarding role needs a second administrator; the district lead is told."""

import pytest
import sqlalchemy as sa

from core.accounts import grants, services
from core.accounts.models import Role, RoleAssignment, RoleGrantRequest
from core.audit import AuditEntry
from core.errors import Conflict, Forbidden, NotFound
from core.notifications.models import Notification


@pytest.fixture(autouse=True)
def request_ctx(app, db):
    with app.test_request_context():
        yield


@pytest.fixture
def people(make):
    return {
        "admin": make.admin(full_name="Quản Trị Một"),
        "admin2": make.admin(full_name="Quản Trị Hai"),
        "lead": make.user("safeguard", Role.SAFEGUARDING),
        "teacher": make.user(None),
        "organizer": make.organizer(),
    }


def _told(db, kind):
    return set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)))


def test_admin_self_grant_of_safeguarding_is_refused_by_one_click(people):
    admin = people["admin"]

    with pytest.raises(Conflict):
        services.grant_role(actor=admin, user=admin, role=Role.SAFEGUARDING)

    assert not admin.has_role(Role.SAFEGUARDING)


def test_admin_self_grant_route_leaves_a_pending_request(people, client, login, db):
    admin = people["admin"]
    login(admin)

    response = client.post(
        f"/admin/users/{admin.id}/roles", data={"role": "safeguarding", "school_id": "0"}
    )

    assert response.status_code == 302
    assert not admin.has_role(Role.SAFEGUARDING)
    assert [(p.user_id, p.role) for p in grants.pending_for(admin)] == [
        (admin.id, Role.SAFEGUARDING)
    ]
    assert _told(db, "safeguarding_grant_requested") == {people["lead"].id}
    assert _told(db, "role_grant_awaiting_approval") == {people["admin2"].id}


def test_request_is_audited(people, db):
    grants.request_grant(actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING)

    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("role.%"))
    ).all()
    assert actions == ["role.grant_requested"]


def test_second_admin_approves_and_the_lead_is_told(people, db):
    pending = grants.request_grant(
        actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING
    )

    grants.approve_grant(actor=people["admin2"], request_id=pending.id)

    assert people["teacher"].has_role(Role.SAFEGUARDING)
    assert pending.approved_by_id == people["admin2"].id
    assert _told(db, "safeguarding_grant_approved") == {people["lead"].id}


@pytest.mark.parametrize("who", ["admin", "teacher"])
def test_requester_or_receiver_cannot_approve(people, who):
    people["teacher"].role_assignments.append(RoleAssignment(role=Role.ADMIN))
    pending = grants.request_grant(
        actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING
    )

    with pytest.raises(Conflict):
        grants.approve_grant(actor=people[who], request_id=pending.id)

    assert not people["teacher"].has_role(Role.SAFEGUARDING)


def test_non_admin_cannot_request_or_approve(people):
    with pytest.raises(Forbidden):
        grants.request_grant(
            actor=people["organizer"], user=people["teacher"], role=Role.SAFEGUARDING
        )
    pending = grants.request_grant(
        actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING
    )
    with pytest.raises(Forbidden):
        grants.approve_grant(actor=people["organizer"], request_id=pending.id)


def test_approved_request_cannot_be_approved_again(people):
    pending = grants.request_grant(
        actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING
    )
    grants.approve_grant(actor=people["admin2"], request_id=pending.id)

    with pytest.raises(NotFound):
        grants.approve_grant(actor=people["admin2"], request_id=pending.id)


def test_without_the_lead_account_district_safeguarding_staff_are_told(people, app, db, make):
    district = make.user(None, Role.SAFEGUARDING)
    app.config["SAFEGUARDING_LEAD_USERNAME"] = "nobody-here"
    try:
        assert grants.safeguarding_leads() == sorted([people["lead"].id, district.id])
    finally:
        app.config["SAFEGUARDING_LEAD_USERNAME"] = "safeguard"


def test_other_roles_still_granted_at_once(people):
    services.grant_role(actor=people["admin"], user=people["teacher"], role=Role.JUDGE)

    assert people["teacher"].has_role(Role.JUDGE)


def test_approve_route_allowed_for_second_admin(people, client, login):
    pending = grants.request_grant(
        actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING
    )
    login(people["admin2"])

    response = client.post(f"/admin/role-requests/{pending.id}/approve")

    assert response.status_code == 302
    assert people["teacher"].has_role(Role.SAFEGUARDING)


def test_approve_route_refused_for_the_requester(people, client, login, db):
    pending = grants.request_grant(
        actor=people["admin"], user=people["admin"], role=Role.SAFEGUARDING
    )
    login(people["admin"])

    response = client.post(f"/admin/role-requests/{pending.id}/approve")

    assert response.status_code == 302
    assert not people["admin"].has_role(Role.SAFEGUARDING)
    assert db.session.get(RoleGrantRequest, pending.id).approved_at is None


def test_approve_route_forbidden_for_non_admin(people, client, login):
    pending = grants.request_grant(
        actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING
    )
    login(people["organizer"])

    assert client.post(f"/admin/role-requests/{pending.id}/approve").status_code == 403
    assert not people["teacher"].has_role(Role.SAFEGUARDING)


def test_edit_user_page_shows_the_pending_grant(people, client, login):
    grants.request_grant(actor=people["admin"], user=people["teacher"], role=Role.SAFEGUARDING)
    login(people["admin2"])

    body = client.get(f"/admin/users/{people['teacher'].id}").get_data(as_text=True)

    assert 'data-testid="pending-grant"' in body
    assert "/approve" in body
