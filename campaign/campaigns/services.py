"""Campaign rules: creating, editing, publishing, closing; phases; what is open now."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from campaign.campaigns.models import (
    Campaign,
    CampaignPhase,
    CampaignStatus,
    PhaseKind,
)
from contests.essay.models import EssayContest, EssayRound
from contests.quiz.models import QuizContest, QuizRound, RoundKind
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.storage import storage
from core.uploads import clean_image

BANNER_MAX_BYTES = 5 * 1024 * 1024


def slugify(text: str) -> str:
    """Make a URL slug from Vietnamese text: "Tuần lễ Mạng Xanh" → "tuan-le-mang-xanh"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80]


def public_campaigns() -> list[Campaign]:
    """Published and closed campaigns, newest first."""
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.status != CampaignStatus.DRAFT)
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        )
    )


def all_campaigns() -> list[Campaign]:
    return list(
        db.session.scalars(
            sa.select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        )
    )


def save_campaign(
    *,
    actor,
    campaign: Campaign | None,
    title: str,
    slug: str | None,
    description: str,
    starts_on: date,
    ends_on: date,
    banner: bytes | None = None,
    news_needs_approval: bool | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Create or update a campaign; slugs are unique and dates must be in order."""
    if ends_on < starts_on:
        raise ValidationFailed(
            _("The end date must not be before the start date."), field="ends_on"
        )
    slug = slugify(slug or title)
    if not slug:
        raise ValidationFailed(_("The address must contain letters or digits."), field="slug")
    clash = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if clash is not None and clash is not campaign:
        raise Conflict(
            _("Another campaign already uses the address %(slug)s.", slug=slug), field="slug"
        )
    created = campaign is None
    if created:
        campaign = Campaign(created_by_id=getattr(actor, "id", None), created_at=now or utcnow())
        db.session.add(campaign)
    campaign.title, campaign.slug, campaign.description = title.strip(), slug, description.strip()
    campaign.starts_on, campaign.ends_on = starts_on, ends_on
    if news_needs_approval is not None:
        campaign.news_needs_approval = news_needs_approval
    if banner:
        image = clean_image(banner, max_bytes=BANNER_MAX_BYTES, max_side=1600)
        old = campaign.banner_key
        campaign.banner_key = storage().save(image.data, prefix="banner", suffix=image.suffix)
        if old:
            storage().delete(old)
    db.session.flush()
    audit.record(
        actor=actor,
        action="campaign.create" if created else "campaign.update",
        obj=campaign,
        after={"title": campaign.title, "slug": campaign.slug},
        now=now,
    )
    return campaign


def set_status(
    *, actor, campaign: Campaign, status: CampaignStatus, now: datetime | None = None
) -> None:
    """Publish or close a campaign (guarded: only forward, draft → published → closed)."""
    now = now or utcnow()
    order = [CampaignStatus.DRAFT, CampaignStatus.PUBLISHED, CampaignStatus.CLOSED]
    if order.index(status) <= order.index(campaign.status):
        raise Conflict(_("The campaign is already %(status)s.", status=campaign.status.value))
    before = campaign.status.value
    campaign.status = status
    if status == CampaignStatus.PUBLISHED:
        campaign.published_at = now
    audit.record(
        actor=actor,
        action=f"campaign.{status.value}",
        obj=campaign,
        before={"status": before},
        after={"status": status.value},
        now=now,
    )
    db.session.flush()


def campaign_contents(campaign: Campaign) -> list[dict]:
    """What the campaign holds (contests, movements), each as a dict for its public page."""
    contents = []
    for provider in current_app.extensions.get("mangxanh.campaign_contents", []):
        contents.extend(provider(campaign))
    return contents


def add_content_provider(app, provider) -> None:
    """Let a package list what it attaches to a campaign (called from ``campaign.init_app``)."""
    app.extensions.setdefault("mangxanh.campaign_contents", []).append(provider)


def page_context(campaign: Campaign, *, now: datetime) -> dict:
    """What other rooms add to a campaign's public page (the news room: its latest posts)."""
    values: dict = {}
    for provider in current_app.extensions.get("mangxanh.campaign_page", []):
        values.update(provider(campaign, now=now))
    return values


def add_page_context(app, provider) -> None:
    """Let a room add values to a campaign's public page: ``provider(campaign, now=) -> dict``."""
    app.extensions.setdefault("mangxanh.campaign_page", []).append(provider)


# --- Phases ------------------------------------------------------------------------------------


def add_phase(
    *,
    actor,
    campaign: Campaign,
    kind: PhaseKind,
    title: str,
    starts_on: date,
    ends_on: date,
    now: datetime | None = None,
) -> CampaignPhase:
    """Add a dated phase (launch, contests, mid-term review, final review) to a campaign."""
    if ends_on < starts_on:
        raise ValidationFailed(
            _("The end date must not be before the start date."), field="ends_on"
        )
    if starts_on < campaign.starts_on or ends_on > campaign.ends_on:
        raise ValidationFailed(
            _("A phase must fall within the campaign's dates."), field="starts_on"
        )
    phase = CampaignPhase(kind=kind, title=title.strip(), starts_on=starts_on, ends_on=ends_on)
    campaign.phases.append(phase)
    db.session.flush()
    audit.record(
        actor=actor,
        action="campaign.phase.create",
        obj=phase,
        after={
            "kind": kind.value,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
        now=now,
    )
    return phase


def delete_phase(*, actor, phase: CampaignPhase, now: datetime | None = None) -> None:
    audit.record(
        actor=actor,
        action="campaign.phase.delete",
        obj=phase,
        before={"title": phase.title},
        now=now,
    )
    phase.campaign.phases.remove(phase)
    db.session.flush()


# --- What is open now (contest rounds of the campaign) ----------------------------------------


def rounds_now(
    campaign: Campaign, *, now: datetime | None = None, soon_days: int = 14
) -> list[dict]:
    """Contest rounds of the campaign open now or opening within ``soon_days``, soonest first."""
    from flask import url_for

    now = now or utcnow()
    horizon = now + timedelta(days=soon_days)
    items = []
    quiz_rounds = db.session.execute(
        sa.select(QuizRound, QuizContest.title)
        .join(QuizContest, QuizContest.id == QuizRound.contest_id)
        .where(
            QuizContest.campaign_id == campaign.id,
            QuizRound.kind == RoundKind.RANKED,
            QuizRound.closes_at > now,
            QuizRound.opens_at <= horizon,
        )
    ).all()
    for round_, contest_title in quiz_rounds:
        items.append(
            {
                "kind": _("Law quiz"),
                "title": f"{contest_title} — {round_.title}",
                "opens_at": round_.opens_at,
                "closes_at": round_.closes_at,
                "url": url_for("quiz.contest", contest_id=round_.contest_id),
                # Before the release the page says when, instead of linking to a refusal.
                "leaderboard_url": url_for("quiz.leaderboard", round_id=round_.id)
                if round_.results_released(now)
                else None,
                "leaderboard_from": round_.results_release_at,
            }
        )
    essay_rounds = db.session.execute(
        sa.select(EssayRound, EssayContest.title)
        .join(EssayContest, EssayContest.id == EssayRound.contest_id)
        .where(
            EssayContest.campaign_id == campaign.id,
            EssayRound.closes_at > now,
            EssayRound.opens_at <= horizon,
        )
    ).all()
    for round_, contest_title in essay_rounds:
        items.append(
            {
                "kind": _("Writing contest"),
                "title": f"{contest_title} — {round_.name}",
                "opens_at": round_.opens_at,
                "closes_at": round_.closes_at,
                "url": url_for("essay.show", contest_id=round_.contest_id),
                "leaderboard_url": None,
                "leaderboard_from": None,
            }
        )
    return sorted(items, key=lambda i: (i["opens_at"] > now, i["closes_at"]))
