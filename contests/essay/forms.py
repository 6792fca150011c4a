"""Writing contest forms (organizers); students write through the JSON API."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core.clock import local_to_utc, local_zone
from core.extensions import db
from core.schools.models import SchoolLevel


class ContestForm(FlaskForm):
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Campaigns are read by table name only: contests never import the campaign package.
        campaign = sa.table("campaign", sa.column("id"), sa.column("title"))
        rows = db.session.execute(
            sa.select(campaign.c.id, campaign.c.title).order_by(campaign.c.id.desc())
        )
        self.campaign_id.choices = [SelectChoice(cid, title) for cid, title in rows]


class RoundForm(FlaskForm):
    stage = IntegerField(
        _l("Stage"),
        default=1,
        validators=[DataRequired(), NumberRange(min=1, max=9)],
        description=_l("1 for the first round (e.g. school round), 2 for the next, …"),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    theme = StringField(_l("Theme"), validators=[Optional(), Length(max=300)])
    prompt = TextAreaField(_l("Prompt"), validators=[Optional(), Length(max=5000)])
    opens_at = DateTimeLocalField(_l("Opens at"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes at"), validators=[DataRequired()])
    min_words = IntegerField(
        _l("Minimum words"), default=300, validators=[Optional(), NumberRange(min=0)]
    )
    max_words = IntegerField(
        _l("Maximum words"), default=1500, validators=[DataRequired(), NumberRange(min=1)]
    )
    max_photos = IntegerField(
        _l("Photos allowed (0–3)"), default=3, validators=[Optional(), NumberRange(min=0, max=3)]
    )
    school_levels = SelectMultipleField(
        _l("School levels (none selected: all)"),
        choices=[
            SelectChoice(SchoolLevel.TH.value, _l("Primary (TH)")),
            SelectChoice(SchoolLevel.THCS.value, _l("Lower secondary (THCS)")),
        ],
        validators=[Optional()],
    )
    grades = StringField(
        _l("Grades"),
        validators=[Optional(), Length(max=40)],
        description=_l("Comma-separated, e.g. 6, 7, 8, 9; empty: all grades."),
    )
    allow_withdraw = BooleanField(
        _l("A submitted entry may be withdrawn and resubmitted before the deadline"), default=True
    )
    submit_drafts_at_close = BooleanField(
        _l("At the close, submit every student's last draft that is not empty"), default=False
    )
    results_at = DateTimeLocalField(_l("Results released at"), validators=[Optional()])

    def validate_grades(self, field) -> None:
        try:
            self._grades()
        except ValueError:
            raise ValidationError(_l("Grades are numbers from 1 to 12.")) from None

    def _grades(self) -> list[int]:
        grades = sorted(
            {int(g) for g in (self.grades.data or "").replace(";", ",").split(",") if g.strip()}
        )
        if any(not 1 <= g <= 12 for g in grades):
            raise ValueError
        return grades

    def load(self, round_) -> None:
        """Show a round's stored UTC times in the district's zone."""
        zone = local_zone()

        def local(value):
            return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)

        self.opens_at.data = local(round_.opens_at)
        self.closes_at.data = local(round_.closes_at)
        if round_.results_at:
            self.results_at.data = local(round_.results_at)
        self.grades.data = ", ".join(str(g) for g in round_.grades or [])
        self.school_levels.data = list(round_.school_levels or [])

    def values(self) -> dict:
        return {
            "stage": self.stage.data,
            "name": self.name.data.strip(),
            "theme": (self.theme.data or "").strip(),
            "prompt": (self.prompt.data or "").strip(),
            "opens_at": local_to_utc(self.opens_at.data),
            "closes_at": local_to_utc(self.closes_at.data),
            "min_words": self.min_words.data or 0,
            "max_words": self.max_words.data,
            "max_photos": self.max_photos.data or 0,
            "school_levels": list(self.school_levels.data or []),
            "grades": self._grades(),
            "allow_withdraw": bool(self.allow_withdraw.data),
            "submit_drafts_at_close": bool(self.submit_drafts_at_close.data),
            "results_at": local_to_utc(self.results_at.data) if self.results_at.data else None,
        }


class ReferenceForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    source = StringField(
        _l("Where it circulates (link or book)"), validators=[Optional(), Length(max=300)]
    )
    body = TextAreaField(_l("Text of the model essay"), validators=[DataRequired()])


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])

    #: decision → (flag status, entries to disqualify)
    OUTCOMES = {
        "cleared": ("cleared", ()),
        "disqualify_entry": ("disqualified", ("entry",)),
        "disqualify_other": ("disqualified", ("other",)),
        "disqualify_both": ("disqualified", ("entry", "other")),
    }

    def __init__(self, flag, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            SelectChoice("cleared", _l("Clear: not a copy")),
            SelectChoice("disqualify_entry", _l("Disqualify %(code)s", code=flag.entry.code)),
        ]
        if flag.other_entry is not None:
            choices += [
                SelectChoice(
                    "disqualify_other", _l("Disqualify %(code)s", code=flag.other_entry.code)
                ),
                SelectChoice("disqualify_both", _l("Disqualify both entries")),
            ]
        self.decision.choices = choices


class DisqualifyForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
