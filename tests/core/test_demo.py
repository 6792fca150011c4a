import sqlalchemy as sa

from core.accounts import services
from core.accounts.models import Role, User
from core.schools.models import School, SchoolLevel
from demo import seed_demo


def test_seed_demo_builds_the_district_once_with_working_accounts(app, db, client, login):
    # One test for the whole demo: seeding every package takes tens of seconds.
    seed_demo()
    seed_demo()

    schools = db.session.scalars(sa.select(School)).all()
    students = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.role_assignments.any(role=Role.STUDENT))
    )
    assert len(schools) == 12
    assert sorted({s.level for s in schools}) == [SchoolLevel.MN, SchoolLevel.TH, SchoolLevel.THCS]
    assert students == 400
    for username in ["admin", "organizer", "coord1", "judge6", "student1", "student400"]:
        user = services.authenticate(username=username, password="demo1234")
        assert user is not None and user.is_demo, username
    assert services.find_user("coord1").school.code == "THCS-DX"
    assert services.find_user("student1").school_class.name == "6A1"

    login(services.find_user("student1"))
    page = client.get("/").get_data(as_text=True)

    # Each package's home section renders with its own values (not just its heading).
    assert 'id="home-quiz"' in page and "Vòng 2" in page
    assert 'id="home-essay"' in page


def test_seed_demo_command_if_empty_skips_populated_database(runner, make):
    make.user()

    result = runner.invoke(args=["seed-demo", "--if-empty"])

    assert result.exit_code == 0
    assert "not seeded" in result.output
