"""A signed-out session saves no answer: the answer-save route refuses its cookie."""

from __future__ import annotations

from tests.factories import PASSWORD


def test_after_logout_the_old_cookie_saves_no_answer(app, client, quiz, make, frozen):
    round_ = quiz.round(count=3)
    student = make.student()
    client.post("/login", data={"username": student.username, "password": PASSWORD})
    attempt = client.post(f"/api/v1/rounds/{round_.id}/attempts").json
    question = attempt["questions"][0]
    path = f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}"
    choice = question["choices"][0]["id"]
    saved = client.put(path, json={"choice_ids": [choice], "seq": 1})
    old = client.get_cookie("mx_session").value

    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("mx_session", old)
    refused = replay.put(path, json={"choice_ids": [choice], "seq": 2})
    resumed = replay.post(f"/api/v1/rounds/{round_.id}/attempts")

    assert (saved.status_code, saved.json["saved"]) == (200, True)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthorized"
    assert resumed.status_code == 401
