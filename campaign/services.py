"""Campaign rules: creating, editing, publishing, closing."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta

import nh3
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.models import (
    Campaign,
    CampaignPhase,
    CampaignStatus,
    NewsPost,
    Notification,
    PhaseKind,
)
from core import audit
from core.accounts.models import User
from core.clock import local_zone, utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.schools.models import School, SchoolLevel
from core.spreadsheets import workbook_bytes
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


# --- Notifications ---------------------------------------------------------------------------

#: What each kind of notification says; params are filled in when it is shown.
NOTIFICATION_TEXTS = {
    "round_opened": _l("A round is open: %(title)s"),
    "results_published": _l("Results are published: %(title)s"),
    "activity_returned": _l("The district returned an activity for more evidence: %(title)s"),
    "activity_approved": _l("The district approved an activity: %(title)s"),
    "return_deadline_near": _l("The deadline to resubmit %(title)s is %(deadline)s."),
    "safety_report_received": _l("A new confidential safety report was received (%(reference)s)."),
    "safety_report_follow_up": _l("The reporter added to safety report %(reference)s."),
    "safeguarding_grant_requested": _l(
        "%(by)s asked to give %(user)s the safeguarding role; a second administrator must approve."
    ),
    "safeguarding_grant_approved": _l(
        "%(user)s now holds the safeguarding role (approved by %(by)s)."
    ),
    "role_grant_awaiting_approval": _l(
        "%(by)s asked to give %(user)s the safeguarding role: your approval is needed."
    ),
    "news_published": _l("News: %(title)s"),
}


def notification_text(notification: Notification) -> str:
    """The notification's message in the current language."""
    template = NOTIFICATION_TEXTS.get(notification.kind)
    if template is None:
        return notification.kind
    try:
        return str(template) % (notification.params or {})
    except (KeyError, TypeError, ValueError):
        return str(template)


def notify(
    *,
    user_ids,
    kind: str,
    params: dict | None = None,
    url: str | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add one notification per user; with ``dedupe_key`` a user is told only once. Return count."""
    if kind not in NOTIFICATION_TEXTS:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = now or utcnow()
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return 0
    skip: set[int] = set()
    if dedupe_key is not None:
        skip = set(
            db.session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.user_id.in_(user_ids), Notification.dedupe_key == dedupe_key
                )
            )
        )
    count = 0
    for user_id in user_ids:
        if user_id in skip:
            continue
        db.session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                params=params or {},
                url=url,
                dedupe_key=dedupe_key,
                created_at=now,
            )
        )
        count += 1
    db.session.flush()
    return count


def unread_count(user) -> int:
    """How many notifications the user has not read yet."""
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def notifications_for(user, *, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(*, user, now: datetime | None = None) -> int:
    """Mark every unread notification of the user as read; return how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return result.rowcount or 0


def send_notification_emails(*, now: datetime | None = None, sender=None) -> int:
    """E-mail notifications not yet sent, when an SMTP server is configured; return how many."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    now = now or utcnow()
    pending = db.session.execute(
        sa.select(Notification, User.email)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.read_at.is_(None),
            User.email.is_not(None),
        )
        .order_by(Notification.id)
        .limit(200)
    ).all()
    send = sender or _smtp_send
    count = 0
    for notification, email in pending:
        send(
            to=email, subject=notification_text(notification), body=notification_text(notification)
        )
        notification.emailed_at = now
        count += 1
    db.session.flush()
    return count


def _smtp_send(*, to: str, subject: str, body: str) -> None:
    import smtplib
    from email.message import EmailMessage

    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_DEFAULT_SENDER", "mangxanh@localhost")
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)), timeout=10) as smtp:
        smtp.send_message(message)


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


# --- News --------------------------------------------------------------------------------------

NEWS_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
NEWS_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
NEWS_IMAGE_MAX_BYTES = 5 * 1024 * 1024


def render_markdown(text: str) -> str:
    """Turn an organizer's Markdown into safe HTML: raw HTML is escaped, then nh3 cleans it."""
    from markdown_it import MarkdownIt

    html = (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable("table")
        .render(text or "")
    )
    return nh3.clean(
        html,
        tags=NEWS_TAGS,
        attributes=NEWS_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def save_news(
    *,
    actor,
    post: NewsPost | None,
    title: str,
    body_markdown: str,
    campaign_id: int | None = None,
    publish: bool = False,
    image: bytes | None = None,
    now: datetime | None = None,
) -> NewsPost:
    """Create or edit a news post; publishing the first time notifies nobody by itself."""
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("The title is missing."), field="title")
    created = post is None
    if created:
        base = slugify(title) or "tin"
        slug, n = base, 1
        while db.session.scalar(sa.select(NewsPost.id).where(NewsPost.slug == slug)):
            n += 1
            slug = f"{base}-{n}"[:100]
        post = NewsPost(slug=slug, author_id=getattr(actor, "id", None), created_at=now)
        db.session.add(post)
    post.title = title
    post.campaign_id = campaign_id
    post.body_markdown = body_markdown or ""
    post.body_html = render_markdown(post.body_markdown)
    if image:
        cleaned = clean_image(image, max_bytes=NEWS_IMAGE_MAX_BYTES, max_side=1600)
        old = post.image_key
        post.image_key = storage().save(cleaned.data, prefix="news", suffix=cleaned.suffix)
        if old:
            storage().delete(old)
    if publish and post.published_at is None:
        post.published_at = now
    if not publish:
        post.published_at = None
    db.session.flush()
    audit.record(
        actor=actor,
        action="news.create" if created else "news.update",
        obj=post,
        after={"title": post.title, "published": post.published_at is not None},
        now=now,
    )
    return post


def latest_news(*, campaign_id: int | None = None, limit: int = 10) -> list[NewsPost]:
    """Published posts, newest first (of one campaign when given)."""
    query = (
        sa.select(NewsPost)
        .where(NewsPost.published_at.is_not(None))
        .order_by(NewsPost.published_at.desc(), NewsPost.id.desc())
        .limit(limit)
    )
    if campaign_id is not None:
        query = query.where(NewsPost.campaign_id == campaign_id)
    return list(db.session.scalars(query))


def all_news() -> list[NewsPost]:
    return list(
        db.session.scalars(
            sa.select(NewsPost).order_by(NewsPost.created_at.desc(), NewsPost.id.desc())
        )
    )


# --- Participation -------------------------------------------------------------------------------


def _campaign_period(campaign: Campaign) -> tuple[datetime, datetime]:
    zone = local_zone("Asia/Ho_Chi_Minh")
    since = datetime.combine(campaign.starts_on, time(), zone).astimezone(UTC)
    until = datetime.combine(campaign.ends_on + timedelta(days=1), time(), zone).astimezone(UTC)
    return since, until


def participation(campaign: Campaign) -> dict:
    """Per school and level: eligible students and the share who took part in each contest.

    Contest counts come from the contests package through ``campaign.greennet.metrics``; while
    a contest package does not offer its function yet, its columns are None.
    """
    from campaign.greennet import metrics

    schools = list(db.session.scalars(sa.select(School).order_by(School.level, School.code)))
    ids = [s.id for s in schools]
    since, until = _campaign_period(campaign)
    eligible = metrics.eligible_students(ids)
    quiz = metrics.contest_counts("quiz_participants", since=since, until=until)
    essay = metrics.contest_counts("essay_entries", since=since, until=until)

    def share(counts, school_id):
        if counts is None:
            return None
        total = eligible.get(school_id, 0)
        return round(100 * min(counts.get(school_id, 0), total) / total, 1) if total else 0.0

    rows = [
        {
            "school": s,
            "eligible": eligible.get(s.id, 0),
            "quiz": None if quiz is None else quiz.get(s.id, 0),
            "quiz_rate": share(quiz, s.id),
            "essay": None if essay is None else essay.get(s.id, 0),
            "essay_rate": share(essay, s.id),
        }
        for s in schools
    ]
    levels = []
    for level in SchoolLevel:
        mine = [r for r in rows if r["school"].level == level]
        total = sum(r["eligible"] for r in mine)
        quiz_total = None if quiz is None else sum(min(r["quiz"], r["eligible"]) for r in mine)
        essay_total = None if essay is None else sum(min(r["essay"], r["eligible"]) for r in mine)
        levels.append(
            {
                "level": level,
                "schools": len(mine),
                "eligible": total,
                "quiz": quiz_total,
                "quiz_rate": None
                if quiz_total is None
                else (round(100 * quiz_total / total, 1) if total else 0.0),
                "essay": essay_total,
                "essay_rate": None
                if essay_total is None
                else (round(100 * essay_total / total, 1) if total else 0.0),
            }
        )
    return {
        "rows": rows,
        "levels": levels,
        "quiz_available": quiz is not None,
        "essay_available": essay is not None,
    }


def participation_xlsx(campaign: Campaign) -> bytes:
    """Participation by school and by level as a workbook (Vietnamese headers)."""
    data = participation(campaign)
    level_vi = {SchoolLevel.MN: "Mầm non", SchoolLevel.TH: "Tiểu học", SchoolLevel.THCS: "THCS"}
    return workbook_bytes(
        [
            (
                "Theo trường",
                [
                    "Mã trường",
                    "Trường",
                    "Cấp học",
                    "Học sinh",
                    "Thi tìm hiểu pháp luật",
                    "Tỉ lệ (%)",
                    "Bài dự thi viết",
                    "Tỉ lệ (%)",
                ],
                [
                    [
                        r["school"].code,
                        r["school"].name,
                        level_vi[r["school"].level],
                        r["eligible"],
                        r["quiz"],
                        r["quiz_rate"],
                        r["essay"],
                        r["essay_rate"],
                    ]
                    for r in data["rows"]
                ],
            ),
            (
                "Theo cấp học",
                [
                    "Cấp học",
                    "Số trường",
                    "Học sinh",
                    "Thi tìm hiểu pháp luật",
                    "Tỉ lệ (%)",
                    "Bài dự thi viết",
                    "Tỉ lệ (%)",
                ],
                [
                    [
                        level_vi[r["level"]],
                        r["schools"],
                        r["eligible"],
                        r["quiz"],
                        r["quiz_rate"],
                        r["essay"],
                        r["essay_rate"],
                    ]
                    for r in data["levels"]
                ],
            ),
        ]
    )


# --- What is open now (contest rounds of the campaign) ----------------------------------------


def rounds_now(
    campaign: Campaign, *, now: datetime | None = None, soon_days: int = 14
) -> list[dict]:
    """Contest rounds of the campaign open now or opening within ``soon_days``, soonest first."""
    from flask import url_for

    from contests.essay.models import EssayContest, EssayRound
    from contests.quiz.models import QuizContest, QuizRound, RoundKind

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
                "leaderboard_url": url_for("quiz.leaderboard", round_id=round_.id),
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
            }
        )
    return sorted(items, key=lambda i: (i["opens_at"] > now, i["closes_at"]))
