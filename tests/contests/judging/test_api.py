"""The judging JSON API: every operation allowed and forbidden, 404 on others' sheets, blind
payloads, marks hidden before one's own submit, 403 for students and judges on organizer ops."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from contests.judging import services
from contests.judging.models import AssignmentStatus
from tests.conftest import T0
from tests.contests.judging.conftest import criteria_ids, entry_assignments, mark

pytestmark = pytest.mark.usefixtures("frozen")


def live(entry):
    return [a for a in entry_assignments(entry) if a.status != AssignmentStatus.MOVED]


def sheet_url(sheet_id: int, suffix: str = "") -> str:
    return f"/api/v1/judging/assignments/{sheet_id}{suffix}"


def round_url(round_id: int, suffix: str) -> str:
    return f"/api/v1/judging/rounds/{round_id}{suffix}"


def test_openapi_lists_the_operation_ids(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    ids = {
        op["operationId"]
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {
        "listMyAssignments",
        "getAssignment",
        "saveMarks",
        "submitMarks",
        "previewAssignment",
        "runAssignment",
        "getJudgingProgress",
        "publishResults",
    } <= ids


# --- judges -------------------------------------------------------------------------------------


def test_list_my_assignments_shows_codes_and_progress_only(client, login, assigned):
    judge = assigned.judges[0]
    login(judge)

    response = client.get("/api/v1/judging/assignments")

    assert response.status_code == 200
    data = response.get_json()
    assert len(data) == 3
    assert set(data[0]) == {
        "id",
        "code",
        "round_id",
        "kind",
        "status",
        "due_at",
        "overdue",
        "marked",
        "url",
    }
    assert {d["code"] for d in data} <= {e.code for e in assigned.entries}


def test_list_my_assignments_anonymous_401(client, assigned):
    assert client.get("/api/v1/judging/assignments").status_code == 401


def test_get_assignment_is_blind(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    login(sheet.judge)

    response = client.get(sheet_url(sheet.id))

    assert response.status_code == 200
    text = json.dumps(response.get_json(), ensure_ascii=False)
    author = assigned.entries[0].student
    assert author.full_name not in text
    assert assigned.schools[0].name not in text
    assert "8A1" not in text
    assert "student" not in text
    data = response.get_json()
    assert data["entry"]["code"] == assigned.entries[0].code
    assert [c["max_points"] for c in data["rubric"]["criteria"]] == ["4", "3", "3"]


def test_get_assignment_not_assigned_is_404(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    stranger = next(
        j for j in assigned.judges if j.id not in {s.judge_id for s in live(assigned.entries[0])}
    )
    login(stranger)

    assert client.get(sheet_url(sheet.id)).status_code == 404
    assert client.put(sheet_url(sheet.id), json={"marks": {}, "seq": 1}).status_code == 404
    assert client.post(sheet_url(sheet.id, "/submit")).status_code == 404


def test_get_assignment_other_marks_hidden_until_own_submit(client, login, assigned):
    a, b = live(assigned.entries[0])
    mark(a, ["3", "2", "2"], comment="Tốt")
    login(b.judge)

    before = client.get(sheet_url(b.id)).get_json()
    mark(b, ["3", "2", "2"])
    after = client.get(sheet_url(b.id)).get_json()

    assert before["others"] == []
    assert after["others"] == [
        {
            "kind": "first",
            "total": "7",
            "comment": "Tốt",
            "marks": dict(
                zip(map(str, criteria_ids(assigned.rubric)), ["3", "2", "2"], strict=True)
            ),
        }
    ]
    assert "judge_id" not in json.dumps(after["others"])


def test_save_marks_then_resume(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    first = criteria_ids(assigned.rubric)[0]
    login(sheet.judge)

    response = client.put(
        sheet_url(sheet.id), json={"marks": {str(first): "3.5"}, "comment": "Hay", "seq": 3}
    )

    assert response.status_code == 200
    assert response.get_json()["accepted"] is True
    again = client.get(sheet_url(sheet.id)).get_json()
    assert (again["marks"], again["comment"], again["seq"]) == ({str(first): "3.5"}, "Hay", 3)


def test_save_marks_out_of_range_400_names_field(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    first = criteria_ids(assigned.rubric)[0]
    login(sheet.judge)

    response = client.put(sheet_url(sheet.id), json={"marks": {str(first): "7"}, "seq": 1})

    assert response.status_code == 400
    body = response.get_json()["error"]
    assert body["field"] == f"criterion-{first}"
    assert body["fields"] == {f"criterion-{first}": "Hãy nhập điểm từ 0 đến 4."}


def test_save_marks_malformed_body_400(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    login(sheet.judge)

    assert client.put(sheet_url(sheet.id), json={"marks": {"x": 1}}).status_code == 400


def test_submit_marks_then_409_on_save(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    mark(sheet, ["3", "2", "2"], submit=False)
    login(sheet.judge)

    response = client.post(sheet_url(sheet.id, "/submit"))
    again = client.post(sheet_url(sheet.id, "/submit"))
    late = client.put(sheet_url(sheet.id), json={"marks": {}, "seq": 99})

    assert (response.status_code, again.status_code, late.status_code) == (200, 200, 409)
    assert response.get_json()["status"] == "submitted"


def test_judge_api_student_gets_empty_queue_and_404(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    login(assigned.students[0])

    assert client.get("/api/v1/judging/assignments").get_json() == []
    assert client.get(sheet_url(sheet.id)).status_code == 404


# --- organizers ---------------------------------------------------------------------------------


def test_preview_assignment_organizer(client, login, judging):
    login(judging.organizer)

    response = client.post(round_url(judging.round.id, "/assignment/preview"), json={"seed": 5})

    assert response.status_code == 200
    data = response.get_json()
    assert (data["entries"], data["k"], data["seed"], data["balanced"]) == (6, 2, 5, True)


def test_run_assignment_organizer(client, login, judging):
    login(judging.organizer)

    response = client.post(round_url(judging.round.id, "/assignment"), json={"seed": 5})

    assert response.status_code == 201
    assert sum(response.get_json()["loads"].values()) == 12


@pytest.mark.parametrize("who", ["student", "judge", "chief"])
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("post", "/assignment/preview", {}),
        ("post", "/assignment", {"seed": 1}),
    ],
)
def test_assignment_ops_forbidden_to_students_and_judges(
    client, login, judging, who, method, suffix, body
):
    user = {"student": judging.students[0], "judge": judging.judges[0], "chief": judging.judges[3]}[
        who
    ]
    login(user)

    response = getattr(client, method)(round_url(judging.round.id, suffix), json=body)

    assert response.status_code == 403


@pytest.mark.parametrize("who", ["student", "judge"])
def test_progress_and_publish_forbidden_to_students_and_judges(client, login, assigned, who):
    login({"student": assigned.students[0], "judge": assigned.judges[0]}[who])

    assert client.get(round_url(assigned.round.id, "/progress")).status_code == 403
    assert client.post(round_url(assigned.round.id, "/publish")).status_code == 403


def test_get_judging_progress_organizer_and_chief(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    mark(sheet, ["3", "2", "2"])
    login(assigned.organizer)

    data = client.get(round_url(assigned.round.id, "/progress")).get_json()
    login(assigned.judges[3])
    chief = client.get(round_url(assigned.round.id, "/progress"))

    assert data["entries"] == 6
    assert sum(j["done"] for j in data["judges"]) == 1
    assert sum(j["assigned"] for j in data["judges"]) == 12
    assert chief.status_code == 200


def test_publish_results_409_until_final_then_200(client, login, assigned):
    login(assigned.organizer)
    early = client.post(round_url(assigned.round.id, "/publish"))
    for entry in assigned.entries:
        for sheet in live(entry):
            mark(sheet, ["3", "2", "2"])

    response = client.post(round_url(assigned.round.id, "/publish"))

    assert early.status_code == 409
    assert response.status_code == 200
    assert response.get_json()["results"] == 6
    assert services.find_setup(assigned.round.id).published_at == T0


def test_organizer_ops_anonymous_401(client, judging):
    assert (
        client.post(round_url(judging.round.id, "/assignment/preview"), json={}).status_code == 401
    )
    assert client.get(round_url(judging.round.id, "/progress")).status_code == 401


def count_statements(db, call):
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return response, statements


def test_save_marks_query_count_is_bounded(db, client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    ids = criteria_ids(assigned.rubric)
    mark(sheet, ["3", "2", "2"], submit=False)
    login(sheet.judge)

    response, statements = count_statements(
        db,
        lambda: client.put(
            sheet_url(sheet.id),
            json={"marks": {str(i): "2" for i in ids}, "comment": "x", "seq": 5},
        ),
    )

    assert response.status_code == 200
    assert response.get_json()["total"] == "6"
    assert len(statements) <= 10, statements


def test_list_my_assignments_query_count_is_constant(db, client, login, assigned):
    judge = assigned.judges[0]
    login(judge)

    response, statements = count_statements(db, lambda: client.get("/api/v1/judging/assignments"))

    assert response.status_code == 200
    assert len(response.get_json()) == 3
    assert len(statements) <= 5, statements
