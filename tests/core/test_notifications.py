import pytest
import sqlalchemy as sa

from core.notifications import services
from core.notifications.models import Notification


def test_notify_dedupes_by_key(make):
    user = make.organizer()

    first = services.notify(
        user_ids=[user.id], kind="news_published", params={"title": "A"}, dedupe_key="k"
    )
    second = services.notify(
        user_ids=[user.id], kind="news_published", params={"title": "A"}, dedupe_key="k"
    )

    assert (first, second) == (1, 0)
    assert services.unread_count(user) == 1


def test_unread_count_in_nav_and_mark_read(client, login, make, db):
    user = make.organizer()
    services.notify(user_ids=[user.id], kind="news_published", params={"title": "Tin"})
    login(user)

    before = client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read")
    after = client.get("/").get_data(as_text=True)

    assert 'data-testid="unread-count">1' in before
    assert "Tin" in before
    assert 'data-testid="unread-count"' not in after


def test_notifications_anonymous_redirected(client):
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read").status_code == 302


def test_emails_only_when_mail_server_configured(make, app, db):
    user = make.organizer(email="a@b.vn")
    services.notify(user_ids=[user.id], kind="news_published", params={"title": "Tin"})
    sent = []

    without = services.send_notification_emails(sender=lambda **kw: sent.append(kw))
    app.config["MAIL_SERVER"] = "smtp.example"
    try:
        with_server = services.send_notification_emails(sender=lambda **kw: sent.append(kw))
        again = services.send_notification_emails(sender=lambda **kw: sent.append(kw))
    finally:
        app.config["MAIL_SERVER"] = None

    assert (without, with_server, again) == (0, 1, 0)
    assert sent[0]["to"] == "a@b.vn"
    assert db.session.scalar(sa.select(Notification.emailed_at)) is not None


def test_notify_kind_registered_by_contests_is_shown_in_its_text(make):
    user = make.student()

    sent = services.notify(user_ids=[user.id], kind="round_opened", params={"title": "Vòng 1"})

    assert sent == 1
    assert services.notification_text(services.notifications_for(user)[0]) == (
        "Vòng thi đã mở: Vòng 1"
    )


def test_notify_refuses_an_unregistered_kind(make):
    user = make.student()

    with pytest.raises(ValueError, match="unknown notification kind 'no_such_kind'"):
        services.notify(user_ids=[user.id], kind="no_such_kind")

    assert services.unread_count(user) == 0


def test_every_kind_is_registered_by_its_package(app):
    with app.app_context():
        registered = set(services.kinds())

    assert registered == {
        "round_opened",
        "results_published",
        "essay_deadline_day",
        "essay_deadline_hour",
        "news_published",
        "activity_returned",
        "activity_approved",
        "return_deadline_near",
        "safety_report_received",
        "safety_report_follow_up",
        "safeguarding_grant_requested",
        "safeguarding_grant_approved",
        "role_grant_awaiting_approval",
    }


def test_notification_keeps_its_table_name():
    assert Notification.__tablename__ == "notification"
