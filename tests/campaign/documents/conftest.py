import io
import re
from datetime import date, timedelta

import pytest
from docx import Document
from pypdf import PdfReader

from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.greennet import services
from contests.essay.models import EssayContest, EssayRound
from contests.judging.models import JudgingRound
from core.organisations import services as organisations
from core.organisations.models import OrganisationKind
from tests.campaign.greennet import conftest as greennet_fixtures
from tests.conftest import T0

# The movement's fixtures, shared with its own tests.
gn = greennet_fixtures.gn
new_activity = greennet_fixtures.new_activity
submitted = greennet_fixtures.submitted


@pytest.fixture
def office(gn):
    return organisations.save_organisation(
        actor=gn["organizer"],
        kind=OrganisationKind.EDUCATION_OFFICE,
        name="Phòng Giáo dục và Đào tạo",
        parent_name="UBND huyện Gia Lâm",
        place_name="Gia Lâm",
        symbol="PGDĐT",
        signer_title="Trưởng phòng",
        signer_name="Nguyễn Thị Bình",
    )


def milestone(movement, kind):
    return next(m for m in movement.milestones if m.kind.value == kind)


@pytest.fixture
def locked_final(gn, office, submitted):
    """Both schools locked at the tổng kết milestone, school A with an approved activity."""
    activity = submitted(score=40.0)
    services.approve_activity(actor=gn["organizer"], activity=activity)
    services.lock_all(
        actor=gn["organizer"], movement=gn["movement"], milestone=milestone(gn["movement"], "final")
    )
    return gn


@pytest.fixture
def contest(db, gn, office):
    """An essay contest whose final round's results are published."""
    campaign = Campaign(
        slug="mx-van-ban",
        title="Chiến dịch",
        starts_on=date(2026, 9, 5),
        ends_on=date(2027, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(campaign)
    db.session.flush()
    item = EssayContest(campaign_id=campaign.id, title="Cuộc thi viết về hành động đẹp")
    db.session.add(item)
    db.session.flush()
    essay_round = EssayRound(
        contest=item,
        stage=1,
        name="Chung khảo",
        opens_at=T0 - timedelta(days=9),
        closes_at=T0 - timedelta(days=2),
    )
    db.session.add(essay_round)
    db.session.flush()
    db.session.add(JudgingRound(round_id=essay_round.id, published_at=T0))
    db.session.flush()
    return item


def docx_text(data: bytes) -> tuple[Document, str]:
    """The document and all its text: paragraphs and table cells, in order."""
    document = Document(io.BytesIO(data))
    parts = []
    body = document.element.body
    for text_node in body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"):
        parts.append(text_node.text or "")
    return document, "".join(parts)


def pdf_text(data: bytes) -> str:
    """The text of every page of the PDF."""
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    """Text without whitespace, to compare what two renderers wrapped differently."""
    return re.sub(r"\s+", "", text)
