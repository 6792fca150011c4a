import sqlalchemy as sa

from campaign.campaigns.models import Campaign
from campaign.greennet import services as greennet
from campaign.greennet.models import Activity, Assessment, Evidence, EvidenceKind, Snapshot
from campaign.news.models import NewsPost
from campaign.safety.models import SafetyReport
from core.schools.models import SchoolLevel
from demo import seed_demo


def test_seed_demo_builds_a_lively_movement_once(app, db):
    seed_demo()
    counts_first = _counts(db)
    seed_demo()

    movement = greennet.current_movement()
    per_level = {
        level: len(greennet.current_set(movement, level).criteria) for level in SchoolLevel
    }
    computed = {
        level: sum(c.computed for c in greennet.current_set(movement, level).criteria)
        for level in SchoolLevel
    }
    states = set(db.session.scalars(sa.select(Activity.status)))
    photos = db.session.scalar(
        sa.select(sa.func.count(Evidence.id)).where(Evidence.kind == EvidenceKind.PHOTO)
    )
    locked = db.session.scalar(
        sa.select(sa.func.count(Assessment.id)).where(Assessment.locked_at.is_not(None))
    )
    report_states = set(db.session.scalars(sa.select(SafetyReport.status)))
    campaign = db.session.scalar(sa.select(Campaign))
    assert _counts(db) == counts_first
    assert all(10 <= n <= 15 for n in per_level.values())
    assert computed[SchoolLevel.THCS] == 3 and computed[SchoolLevel.TH] == 3
    assert {s.value for s in states} == {"draft", "submitted", "returned", "approved"}
    assert photos >= 50
    assert locked == 2
    assert db.session.scalar(sa.select(sa.func.count(Snapshot.id))) == 12
    assert {s.value for s in report_states} == {"received", "verifying", "handled", "forwarded"}
    assert len(campaign.phases) == 4
    assert campaign.banner_key is not None
    assert db.session.scalar(sa.select(sa.func.count(NewsPost.id))) == 4


def _counts(db):
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Activity, Evidence, Snapshot, SafetyReport, NewsPost)
    )
