"""Campaign rules: creating, editing, publishing, closing."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.models import Campaign, CampaignStatus, Notification
from core import audit
from core.accounts.models import User
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
