"""The organizer's home page lists the activities schools submitted that wait for verification."""

from __future__ import annotations


def test_organizer_home_lists_activities_to_verify(client, login, gn, submitted):
    submitted()
    submitted(school="b")
    login(gn["organizer"])

    body = client.get("/").get_data(as_text=True)

    assert "Việc cần làm: thẩm định hoạt động" in body
    assert "2 hoạt động các trường đã gửi đang chờ thẩm định." in body
    assert f"/manage/movements/{gn['movement'].id}/verification" in body


def test_organizer_home_without_activities_to_verify(client, login, gn, new_activity):
    new_activity()  # a draft is the school's own business
    login(gn["organizer"])

    body = client.get("/").get_data(as_text=True)

    assert "Việc cần làm: thẩm định hoạt động" not in body


def test_coordinator_home_has_no_verification_to_do(client, login, gn, submitted):
    submitted()
    login(gn["coord_a"])

    body = client.get("/").get_data(as_text=True)

    assert "Việc cần làm: thẩm định hoạt động" not in body
