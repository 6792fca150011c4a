from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import audit
from core.accounts import services
from core.accounts.models import Role, User
from core.audit import AuditEntry
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.scheduler import registered_jobs, run_job
from core.schools.models import SchoolLevel
from tests.conftest import T0


def test_hash_password_uses_argon2id(db):
    hashed = services.hash_password("secret-pass")

    assert hashed.startswith("$argon2id$")


def test_production_hasher_uses_owasp_parameters():
    from core.config import Config

    assert (Config.ARGON2_MEMORY_COST, Config.ARGON2_TIME_COST, Config.ARGON2_PARALLELISM) == (
        19456,
        2,
        1,
    )


def test_authenticate_accepts_right_password_case_insensitive_username(make):
    user = make.user("Hoa.Nguyen")

    found = services.authenticate(username="hoa.nguyen", password=make.PASSWORD, now=T0)

    assert found is user
    assert user.last_login_at == T0


def test_authenticate_refuses_wrong_password_and_disabled_account(make):
    user = make.user("lan")

    assert services.authenticate(username="lan", password="wrong-password") is None
    user.active = False
    assert services.authenticate(username="lan", password=make.PASSWORD) is None
    assert services.authenticate(username="nobody", password="x") is None


def test_activation_code_lets_student_set_password_once(make):
    student = make.student(password=None)
    code = services.issue_activation_code(user=student, now=T0)

    services.activate(
        username=student.username, code=code.lower(), new_password="mat-khau-moi", now=T0
    )

    assert services.check_password(student, "mat-khau-moi")
    assert student.activation_code_hash is None
    with pytest.raises(ValidationFailed):
        services.activate(username=student.username, code=code, new_password="khac-nua-1", now=T0)


def test_activation_code_is_stored_only_as_keyed_hash(make):
    student = make.student(password=None)

    code = services.issue_activation_code(user=student, now=T0)

    assert code not in (student.activation_code_hash or "")
    assert len(student.activation_code_hash) == 64
    assert len(code) == 10


def test_activation_refused_after_expiry(make):
    student = make.student(password=None)
    code = services.issue_activation_code(user=student, now=T0)

    with pytest.raises(ValidationFailed) as error:
        services.activate(
            username=student.username,
            code=code,
            new_password="mat-khau-moi",
            now=T0 + timedelta(days=61),
        )

    assert error.value.field == "code"
    assert student.password_hash is None


def test_activation_refused_with_wrong_code(make):
    student = make.student(password=None)
    services.issue_activation_code(user=student, now=T0)

    with pytest.raises(ValidationFailed):
        services.activate(
            username=student.username, code="AAAAA-BBBBB", new_password="mat-khau-moi", now=T0
        )

    assert student.password_hash is None


def test_new_password_must_be_long_enough_and_not_the_username(make):
    user = make.user("minhanh")

    with pytest.raises(ValidationFailed):
        services.set_password(user=user, new_password="short")
    with pytest.raises(ValidationFailed):
        services.set_password(user=user, new_password="MinhAnh ")


def test_change_password_needs_current_password(make):
    user = make.user()

    with pytest.raises(ValidationFailed) as error:
        services.change_password(user=user, current_password="wrong", new_password="new-password-1")

    assert error.value.field == "current_password"


def test_reset_password_sets_must_change_and_is_audited(make):
    admin, user = make.admin(), make.user()

    temporary = services.reset_password(actor=admin, user=user, now=T0)

    assert user.must_change_password is True
    assert services.check_password(user, temporary)
    assert [e.action for e in audit.history("user", user.id)] == ["user.password_reset"]


def test_grant_and_revoke_role_are_audited(make):
    admin, school = make.admin(), make.school()
    user = make.user()

    assignment = services.grant_role(actor=admin, user=user, role=Role.COORDINATOR, school=school)
    services.revoke_role(actor=admin, user=user, assignment_id=assignment.id)

    trail = audit.history("user", user.id)
    assert [(e.action, e.after or e.before) for e in trail] == [
        ("role.grant", {"role": "coordinator", "school": school.code}),
        ("role.revoke", {"role": "coordinator", "school": school.code}),
    ]
    assert user.roles == set()


def test_grant_school_role_without_school_is_refused(make):
    with pytest.raises(ValidationFailed):
        services.grant_role(actor=None, user=make.user(), role=Role.COORDINATOR)


def test_grant_same_role_twice_keeps_one(make):
    user, school = make.user(), make.school()

    services.grant_role(actor=None, user=user, role=Role.COORDINATOR, school=school)
    services.grant_role(actor=None, user=user, role=Role.COORDINATOR, school=school)

    assert len(user.role_assignments) == 1


def test_admin_cannot_remove_own_admin_role(make):
    admin = make.admin()

    with pytest.raises(Conflict):
        services.revoke_role(actor=admin, user=admin, assignment_id=admin.role_assignments[0].id)


def test_create_user_refuses_taken_username(make):
    make.user("trung")

    with pytest.raises(Conflict):
        services.create_user(username="TRUNG", full_name="Khác")


def test_audit_entries_cannot_be_changed(make, db):
    entry = audit.record(actor=None, action="x.y", object_type="thing", object_id=1)
    db.session.flush()

    entry.action = "changed"
    with pytest.raises(RuntimeError):
        db.session.flush()


def test_expire_activation_codes_job_twice_has_one_effect(app, make, db):
    student = make.student(password=None)
    services.issue_activation_code(user=student, now=T0 - timedelta(days=90))
    student_id = student.id
    job = next(j for j in registered_jobs(app) if j.name == "expire-activation-codes")

    first = run_job_in_transaction(job, T0)
    second = run_job_in_transaction(job, T0)

    assert (first, second) == (1, 0)
    assert (
        db.session.scalar(sa.select(User.activation_code_hash).where(User.id == student_id)) is None
    )


def run_job_in_transaction(job, now):
    # run_job commits; inside the test transaction that commit is a savepoint release.
    return run_job(job, now=now)


def test_every_scheduled_job_target_exists(app):
    jobs = registered_jobs(app)

    assert [job.name for job in jobs] == [
        "prune-login-sessions",
        "expire-activation-codes",
        "notification-emails",
        "quiz-finalize-expired",
        "quiz-leaderboards",
        "quiz-announcements",
        "essay-similarity",
        "essay-reminders",
        "essay-last-drafts",
        "essay-announcements",
        "judging-overdue",
        "greennet-return-reminders",
    ]
    for job in jobs:
        assert callable(job.function()), job.name


def test_audit_history_is_ordered(make):
    user = make.user()
    audit.record(actor=None, action="a.first", obj=user, now=T0)
    audit.record(actor=None, action="a.second", obj=user, now=T0 + timedelta(seconds=1))

    assert [e.action for e in audit.history("user", user.id)] == ["a.first", "a.second"]
    assert AuditEntry.__tablename__ == "audit_entry"


@pytest.mark.parametrize(
    ("levels", "grades", "expected"),
    [
        ((), (), {"6A1": 3, "8A1": 2, "5A1": 4}),
        (("THCS",), (), {"6A1": 3, "8A1": 2}),
        ((), (6,), {"6A1": 3}),
        (("TH", "THCS"), (5, 8), {"8A1": 2, "5A1": 4}),
    ],
)
def test_student_counts_count_what_students_of_finds(make, levels, grades, expected):
    thcs, th = make.school(level=SchoolLevel.THCS), make.school(level=SchoolLevel.TH)
    classes = {
        "6A1": make.school_class(thcs, "6A1"),
        "8A1": make.school_class(thcs, "8A1"),
        "5A1": make.school_class(th, "5A1"),
    }
    for name, count in (("6A1", 3), ("8A1", 2), ("5A1", 4)):
        for _ in range(count):
            make.student(classes[name])
    make.student(classes["6A1"], active=False)  # not counted
    make.user(None, Role.COORDINATOR, school_=thcs, class_id=classes["8A1"].id)  # not a student
    ours = {klass.id: name for name, klass in classes.items()}

    counts = services.student_counts(levels=levels, grades=grades)

    assert {ours[c]: n for (_s, c), n in counts.items() if c in ours} == expected
    found = db.session.execute(
        services.students_of(sa.select(User.class_id), levels=levels, grades=grades)
    ).scalars()
    assert Counter(ours[c] for c in found if c in ours) == expected


def test_is_active_student_in_python_and_in_sql_agree(make):
    student = make.student()
    disabled = make.student(active=False)
    organizer = make.organizer()
    both = make.user(None, Role.ORGANIZER, Role.STUDENT, school_=student.school)

    found = set(db.session.scalars(sa.select(User.id).where(User.is_active_student)))

    assert [u.is_active_student for u in (student, disabled, organizer, both)] == [
        True,
        False,
        False,
        True,
    ]
    assert found & {student.id, disabled.id, organizer.id, both.id} == {student.id, both.id}


@pytest.mark.parametrize(
    "password", ["12345678", "aaaaaaaa", "password", "iloveyou", "abcdefgh", "87654321", "abababab"]
)
def test_common_or_simple_passwords_are_refused_with_advice(app, make, password):
    user = make.user("minhanh")

    with app.test_request_context(), pytest.raises(ValidationFailed) as error:
        services.set_password(user=user, new_password=password)

    assert error.value.field == "new_password"
    assert error.value.message.startswith("Mật khẩu này quá dễ đoán. Em hãy chọn")
    assert user.password_hash is not None and not services.check_password(user, password)


@pytest.mark.parametrize("password", ["minhanh2013", "2013-MinhAnh", "thcsdx-2026", "Thcs_Dx_99"])
def test_passwords_built_from_the_username_or_school_code_are_refused(app, make, password):
    user = make.user("minhanh", school_=make.school("THCS-DX"))

    with app.test_request_context(), pytest.raises(ValidationFailed) as error:
        services.set_password(user=user, new_password=password)

    assert error.value.message.startswith("Mật khẩu không được chứa tên đăng nhập")


def test_a_password_of_unrelated_words_is_accepted(make):
    user = make.user("minhanh", school_=make.school("THCS-DX"))

    services.set_password(user=user, new_password="meo con thich ca")

    assert services.check_password(user, "meo con thich ca")
