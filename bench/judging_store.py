"""Benchmark: preview and commit the judging plan of 5,000 entries × 2 judges over 50 judges,
through the services and the database (the rules engine alone: ``bench.judging_assignment``).

    .venv/bin/python -m bench.judging_store [--entries 5000] [--database-url URL]

Rows are bulk-inserted (25 schools, a student per entry, 50 judges of those schools); the timed
part is ``preview_assignment`` and ``run_assignment`` + commit (10,000 assignments stored).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from campaign.campaigns.models import Campaign, CampaignStatus
from contests.essay.models import Entry, EntryStatus, EssayContest, EssayRound
from contests.judging import services
from contests.judging.models import Assignment
from core.accounts.models import Role, RoleAssignment, User
from core.config import TestConfig
from core.extensions import db
from core.schools.models import District, School, SchoolLevel

SCHOOLS = 25
JUDGES = 50
RUBRIC = [
    {"name": "Nội dung", "guidance": "", "max_points": "4"},
    {"name": "Ý nghĩa", "guidance": "", "max_points": "3"},
    {"name": "Diễn đạt", "guidance": "", "max_points": "3"},
]


def build(entries: int, now: datetime) -> EssayRound:
    district = District(code="B", name="Bench")
    schools = [
        School(district=district, code=f"S{i}", name=f"Trường {i}", level=SchoolLevel.THCS)
        for i in range(SCHOOLS)
    ]
    db.session.add_all(schools)
    db.session.flush()
    campaign = Campaign(
        slug="bench",
        title="Bench",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(campaign)
    db.session.flush()
    contest = EssayContest(campaign_id=campaign.id, title="Bench")
    round_ = EssayRound(
        contest=contest,
        name="Bench",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
    )
    db.session.add_all([contest, round_])
    db.session.flush()
    weights = [4 if s < 5 else 1 for s in range(SCHOOLS)]
    school_of = [s for s in range(SCHOOLS) for _ in range(weights[s])]
    users = [
        {
            "username": f"u{i}",
            "full_name": f"Học Sinh {i}",
            "school_id": schools[school_of[i % len(school_of)]].id,
            "active": True,
            "is_demo": False,
        }
        for i in range(entries)
    ] + [
        {
            "username": f"j{j}",
            "full_name": f"Giám Khảo {j}",
            "school_id": schools[j % SCHOOLS].id,
            "active": True,
            "is_demo": False,
        }
        for j in range(JUDGES)
    ]
    db.session.execute(sa.insert(User), users)
    ids = dict(db.session.execute(sa.select(User.username, User.id)).all())
    judge_ids = [ids[f"j{j}"] for j in range(JUDGES)]
    db.session.execute(
        sa.insert(RoleAssignment), [{"user_id": j, "role": Role.JUDGE} for j in judge_ids]
    )
    db.session.execute(
        sa.insert(Entry),
        [
            {
                "round_id": round_.id,
                "student_id": ids[f"u{i}"],
                "school_id": users[i]["school_id"],
                "code": f"BV-{i:06d}",
                "status": EntryStatus.SUBMITTED,
                "title": "T",
                "body": "",
                "submitted_at": now - timedelta(days=2),
            }
            for i in range(entries)
        ],
    )
    organizer = User(username="org", full_name="Tổ chức", active=True)
    organizer.role_assignments = [RoleAssignment(role=Role.ORGANIZER)]
    db.session.add(organizer)
    db.session.flush()
    services.save_rubric(actor=organizer, round_=round_, criteria=RUBRIC, now=now)
    services.set_pool(
        actor=organizer, round_=round_, active=judge_ids, reserve=[], chief_judge_id=None, now=now
    )
    db.session.commit()
    return round_, organizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app(TestConfig({}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp)))
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with app.app_context(), app.test_request_context():
        upgrade()
        round_, organizer = build(args.entries, now)
        started = time.perf_counter()
        plan = services.preview_assignment(round_=round_, seed=7, now=now)
        previewed = time.perf_counter()
        services.run_assignment(actor=organizer, round_=round_, seed=plan.seed, now=now)
        db.session.commit()
        stored = time.perf_counter()
        count = db.session.scalar(sa.select(sa.func.count(Assignment.id)))
    print(
        f"judging store: {args.entries} entries × 2 judges over {JUDGES} judges, "
        f"database {url.split(':')[0]}: preview {previewed - started:.2f} s, "
        f"preview + commit {stored - started:.2f} s (target ≤ 2 s); {count} assignments, "
        f"loads {plan.min_load}–{plan.max_load}"
    )


if __name__ == "__main__":
    main()
