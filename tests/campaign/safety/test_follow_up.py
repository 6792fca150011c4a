"""Issue 14: a report channel that always answers (limits per device, follow-up, no-store)."""

import re

import pytest
import sqlalchemy as sa

from campaign.safety import followup, services
from campaign.safety.models import MessageAuthor, SafetyReport
from core.accounts.models import Role
from core.audit import AuditEntry
from core.errors import Forbidden, ValidationFailed
from core.notifications.models import Notification

WHAT = "Một nhóm chat đăng ảnh chế giễu bạn em."


@pytest.fixture
def world(make):
    school_a = make.school("A")
    school_b = make.school("B")
    return {
        "a": school_a,
        "staff_a": make.user(None, Role.SAFEGUARDING, school_=school_a),
        "staff_b": make.user(None, Role.SAFEGUARDING, school_=school_b),
        "district": make.user(None, Role.SAFEGUARDING),
        "admin": make.admin(),
        "organizer": make.organizer(),
    }


def _report(world):
    return services.submit_report(school_id=world["a"].id, what_happened=WHAT)


# --- limits: a school lab shares one address ---------------------------------------------------


def test_sixth_report_from_one_address_does_not_stop_a_second_child(world, app, db):
    data = {"school_id": world["a"].id, "what_happened": WHAT, "anonymous": "y"}
    limit = int(app.config["SAFETY_REPORT_LIMIT"].split()[0])
    first_child, second_child = app.test_client(), app.test_client()
    for _ in range(limit):
        assert first_child.post("/safety/report", data=data).status_code == 302

    response = second_child.post("/safety/report", data=data)

    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(SafetyReport.id))) == limit + 1


def test_address_ceiling_still_holds(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "SAFETY_REPORT_ADDRESS_LIMIT", "3 per hour")
    data = {"school_id": world["a"].id, "what_happened": WHAT, "anonymous": "y"}

    statuses = [app.test_client().post("/safety/report", data=data).status_code for _ in range(4)]

    assert statuses == [302, 302, 302, 429]


def test_refused_report_keeps_the_text_and_shows_111_and_113(world, client, app):
    data = {"school_id": world["a"].id, "what_happened": WHAT, "anonymous": "y"}
    limit = int(app.config["SAFETY_REPORT_LIMIT"].split()[0])
    for _ in range(limit):
        client.post("/safety/report", data=data)

    response = client.post("/safety/report", data=data | {"what_happened": WHAT + " Lần nữa."})

    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert WHAT + " Lần nữa." in body
    assert 'href="tel:111"' in body
    assert 'href="tel:113"' in body
    assert 'data-testid="safety-refused"' in body


def test_failed_report_keeps_the_text_and_shows_111_and_113(world, client):
    response = client.post("/safety/report", data={"school_id": 99999, "what_happened": WHAT})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert WHAT in body
    assert 'href="tel:111"' in body
    assert 'href="tel:113"' in body


# --- cache headers ------------------------------------------------------------------------------


def test_report_pages_are_not_stored(world, client):
    assert client.get("/safety/report").headers["Cache-Control"] == "private, no-store"
    assert client.get("/safety/follow-up").headers["Cache-Control"] == "private, no-store"


def test_inbox_and_report_are_not_stored(world, client, login):
    report = _report(world)
    login(world["staff_a"])

    assert client.get("/safety/reports").headers["Cache-Control"] == "private, no-store"
    assert (
        client.get(f"/safety/reports/{report.id}").headers["Cache-Control"] == "private, no-store"
    )


def test_received_page_shows_reference_and_secret_once(world, client, db):
    client.post("/safety/report", data={"school_id": world["a"].id, "what_happened": WHAT})

    page = client.get("/safety/report/received")
    again = client.get("/safety/report/received")

    report = db.session.scalar(sa.select(SafetyReport))
    body = page.get_data(as_text=True)
    assert report.reference in body
    assert 'data-testid="safety-secret"' in body
    assert page.headers["Cache-Control"] == "private, no-store"
    assert again.status_code == 302


# --- national channels --------------------------------------------------------------------------


def test_safety_corner_lists_national_channels(client):
    body = client.get("/safety/").get_data(as_text=True)

    assert 'href="http://tongdai111.vn"' in body
    assert "Tổng đài quốc gia bảo vệ trẻ em 111" in body
    assert "Cục An toàn thông tin" in body


# --- services -----------------------------------------------------------------------------------


def test_secret_is_stored_hashed_and_found_with_reference(world):
    report = _report(world)

    found = followup.find_for_reporter(
        reference=report.reference.lower(), secret=report.secret.lower().replace("-", " ")
    )

    assert found is report
    assert report.secret not in report.secret_hash
    assert report.secret_hash.startswith("$argon2id$")


def test_wrong_secret_and_unknown_reference_raise_the_same_error(world):
    report = _report(world)

    with pytest.raises(followup.FollowUpNotFound) as wrong:
        followup.find_for_reporter(reference=report.reference, secret="AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(followup.FollowUpNotFound) as unknown:
        followup.find_for_reporter(reference="AT-ZZZZZZ", secret=report.secret)

    assert wrong.value.message == unknown.value.message
    assert wrong.value.status_code == unknown.value.status_code == 404


def test_reporter_message_tells_staff_not_what_it_says(world, db):
    report = _report(world)

    message = followup.add_reporter_message(
        reference=report.reference, secret=report.secret, text="Em muốn kể thêm."
    )

    told = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "safety_report_follow_up")
        )
    )
    assert message.author == MessageAuthor.REPORTER
    assert report.messages == [message]
    assert told == {world["staff_a"].id, world["district"].id}


def test_reporter_message_empty_refused(world):
    report = _report(world)

    with pytest.raises(ValidationFailed):
        followup.add_reporter_message(reference=report.reference, secret=report.secret, text=" ")


def test_staff_reply_audited_without_text(world, db):
    report = _report(world)

    message = followup.reply(user=world["staff_a"], report=report, text="Cô đã nhận được.")

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "safety.reply"))
    assert message.author == MessageAuthor.STAFF
    assert entry.after == {"message": message.id}


@pytest.mark.parametrize("who", ["staff_b", "admin", "organizer"])
def test_staff_reply_refused_for_others(world, who):
    report = _report(world)

    with pytest.raises(Forbidden):
        followup.reply(user=world[who], report=report, text="Xin chào.")


# --- routes: HTML -------------------------------------------------------------------------------


def test_follow_up_page_allowed_with_right_secret(world, client):
    report = _report(world)
    followup.reply(user=world["staff_a"], report=report, text="Cô đã nhận được.")

    response = client.post(
        "/safety/follow-up", data={"reference": report.reference, "secret": report.secret}
    )

    assert response.status_code == 200
    assert "Cô đã nhận được." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_follow_up_page_wrong_secret_answers_as_unknown_reference(world, app):
    report = _report(world)

    wrong = app.test_client().post(
        "/safety/follow-up", data={"reference": report.reference, "secret": "AAAA-BBBB-CCCC-DDDD"}
    )
    unknown = app.test_client().post(
        "/safety/follow-up", data={"reference": "AT-ZZZZZZ", "secret": report.secret}
    )

    assert wrong.status_code == unknown.status_code == 404
    assert WHAT not in wrong.get_data(as_text=True)

    # Apart from each browser's own CSRF token and the reference typed back into the form.
    def page(response, reference):
        body = re.sub(
            r'(csrf-token" content|csrf_token" value)="[^"]*"', "", response.get_data(as_text=True)
        )
        return body.replace(reference, "REFERENCE")

    assert page(wrong, report.reference) == page(unknown, "AT-ZZZZZZ")


def test_follow_up_message_route_allowed(world, client):
    report = _report(world)

    response = client.post(
        "/safety/follow-up/messages",
        data={"reference": report.reference, "secret": report.secret, "text": "Em kể thêm."},
    )

    assert response.status_code == 200
    assert [m.text for m in report.messages] == ["Em kể thêm."]


def test_follow_up_message_route_wrong_secret_forbidden(world, client):
    report = _report(world)

    response = client.post(
        "/safety/follow-up/messages",
        data={"reference": report.reference, "secret": "AAAA-BBBB-CCCC-DDDD", "text": "Giả."},
    )

    assert response.status_code == 404
    assert report.messages == []


def test_follow_up_throttled(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SAFETY_FOLLOW_UP_LIMIT", "2 per hour")
    data = {"reference": "AT-ZZZZZZ", "secret": "AAAA-BBBB-CCCC-DDDD"}

    statuses = [client.post("/safety/follow-up", data=data).status_code for _ in range(3)]

    assert statuses == [404, 404, 429]


def test_reply_route_allowed_for_designated_staff(world, client, login):
    report = _report(world)
    login(world["staff_a"])

    response = client.post(f"/safety/reports/{report.id}/replies", data={"text": "Cô đây."})

    assert response.status_code == 302
    assert [(m.author, m.staff_id) for m in report.messages] == [
        (MessageAuthor.STAFF, world["staff_a"].id)
    ]


@pytest.mark.parametrize(("who", "status"), [("admin", 403), ("staff_b", 404)])
def test_reply_route_forbidden_for_others(world, client, login, who, status):
    report = _report(world)
    login(world[who])

    response = client.post(f"/safety/reports/{report.id}/replies", data={"text": "Xin chào."})

    assert response.status_code == status
    assert report.messages == []


# --- routes: API --------------------------------------------------------------------------------


def test_api_submit_returns_the_secret_once(world, client):
    response = client.post(
        "/api/v1/safety/reports", json={"school_id": world["a"].id, "what_happened": WHAT}
    )

    body = response.get_json()
    assert len(followup.normalize_secret(body["secret"])) == 16
    assert followup.find_for_reporter(reference=body["reference"], secret=body["secret"])


def test_api_get_follow_up_allowed(world, client):
    report = _report(world)
    followup.reply(user=world["staff_a"], report=report, text="Cô đã nhận được.")

    response = client.post(
        "/api/v1/safety/reports/follow-up",
        json={"reference": report.reference, "secret": report.secret},
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    assert body["status"] == "received"
    assert [(m["author"], m["text"]) for m in body["messages"]] == [("staff", "Cô đã nhận được.")]


def test_api_get_follow_up_wrong_secret_identical_to_unknown(world, app):
    report = _report(world)

    wrong = app.test_client().post(
        "/api/v1/safety/reports/follow-up",
        json={"reference": report.reference, "secret": "AAAA-BBBB-CCCC-DDDD"},
    )
    unknown = app.test_client().post(
        "/api/v1/safety/reports/follow-up",
        json={"reference": "AT-ZZZZZZ", "secret": report.secret},
    )

    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json() == unknown.get_json()


def test_api_add_follow_up_allowed(world, client):
    report = _report(world)

    response = client.post(
        "/api/v1/safety/reports/follow-up/messages",
        json={"reference": report.reference, "secret": report.secret, "text": "Em kể thêm."},
    )

    assert response.status_code == 201
    assert [m["text"] for m in response.get_json()["messages"]] == ["Em kể thêm."]


def test_api_add_follow_up_wrong_secret_forbidden(world, client):
    report = _report(world)

    response = client.post(
        "/api/v1/safety/reports/follow-up/messages",
        json={"reference": report.reference, "secret": "AAAA-BBBB-CCCC-DDDD", "text": "Giả."},
    )

    assert response.status_code == 404
    assert report.messages == []


def test_api_follow_up_throttled(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SAFETY_FOLLOW_UP_LIMIT", "2 per hour")
    body = {"reference": "AT-ZZZZZZ", "secret": "AAAA-BBBB-CCCC-DDDD", "text": "x"}

    statuses = [
        client.post("/api/v1/safety/reports/follow-up/messages", json=body).status_code
        for _ in range(3)
    ]

    assert statuses == [404, 404, 429]


def test_unknown_reference_does_the_same_argon2_work_as_a_wrong_secret(world, monkeypatch):
    report = _report(world)
    hasher = followup.password_hasher()
    followup._dummy_hash()  # made once per application, before the first lookup is timed
    calls = []

    class Counting:
        def verify(self, stored, secret):
            calls.append(stored)
            return hasher.verify(stored, secret)

    monkeypatch.setattr(followup, "password_hasher", Counting)

    for reference in (report.reference, "AT-ZZZZZZ"):
        with pytest.raises(followup.FollowUpNotFound):
            followup.find_for_reporter(reference=reference, secret="AAAA-BBBB-CCCC-DDDD")

    assert len(calls) == 2
    assert all(stored.startswith("$argon2id$") for stored in calls)


def test_openapi_names_the_follow_up_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    ops = {
        (path, method): op.get("operationId")
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
    }
    assert ops[("/api/v1/safety/reports/follow-up", "post")] == "getSafetyReportFollowUp"
    assert ops[("/api/v1/safety/reports/follow-up/messages", "post")] == "addSafetyReportFollowUp"
