"""Movement forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class Number(DecimalField):
    """A decimal shown as typed ("4.8", not "4.80")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(*args, **kwargs)


EVIDENCE_CHOICES = [
    SelectChoice("photo", _l("Photo")),
    SelectChoice("file", _l("PDF file")),
    SelectChoice("link", _l("Link")),
]
LEVEL_CHOICES = [
    SelectChoice("MN", _l("Kindergarten (MN)")),
    SelectChoice("TH", _l("Primary (TH)")),
    SelectChoice("THCS", _l("Lower secondary (THCS)")),
]


class MovementForm(FlaskForm):
    school_year = StringField(
        _l("School year"),
        validators=[DataRequired(), Length(max=9)],
        description=_l("For example 2025-2026."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[Optional()])


class TierForm(FlaskForm):
    excellent_min = Number(
        _l("Excellent from (%)"), validators=[DataRequired(), NumberRange(0, 100)]
    )
    good_min = Number(_l("Good from (%)"), validators=[DataRequired(), NumberRange(0, 100)])
    pass_min = Number(_l("Pass from (%)"), validators=[DataRequired(), NumberRange(0, 100)])
    quota = Number(
        _l("Top-tier quota (% of a level's schools, optional)"),
        validators=[Optional(), NumberRange(1, 100)],
    )
    quota_rule = SelectField(
        _l("How the quota is counted"),
        choices=[
            SelectChoice("at_most", _l("At most X % of the schools (rounded down)")),
            SelectChoice("nearest", _l("X % of the schools, rounded to the nearest school")),
        ],
        default="at_most",
    )


class CriterionForm(FlaskForm):
    level = SelectField(_l("School level"), choices=LEVEL_CHOICES)
    code = StringField(_l("Criterion code"), validators=[DataRequired(), Length(max=20)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    guidance = TextAreaField(_l("Guidance"), validators=[Optional(), Length(max=5000)])
    max_points = Number(_l("Maximum points"), validators=[DataRequired(), NumberRange(0.5, 100)])
    evidence_kinds = SelectMultipleField(_l("Evidence needed"), choices=EVIDENCE_CHOICES)
    max_count = IntegerField(
        _l("How many times it counts (or the target for a computed count)"),
        default=1,
        validators=[DataRequired(), NumberRange(1, 1000)],
    )
    computed = BooleanField(_l("Computed by the platform"))
    metric = SelectField(_l("Metric"), validators=[Optional()])
    as_new_version = BooleanField(
        _l("Add as a new version of the criteria (changes every school's maximum)")
    )


class CriteriaImportForm(FlaskForm):
    level = SelectField(_l("School level"), choices=LEVEL_CHOICES)
    file = FileField(_l("Criteria file (.xlsx or .csv)"), validators=[FileRequired()])


class MilestoneForm(FlaskForm):
    due_on = DateField(_l("Date"), validators=[DataRequired()])


class ActivityForm(FlaskForm):
    criterion_id = SelectField(_l("Criterion"), coerce=int)
    title = StringField(_l("Activity"), validators=[DataRequired(), Length(max=200)])
    happened_on = DateField(_l("Date"), validators=[DataRequired()])
    description = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=10000)])
    participants = IntegerField(
        _l("Number of participants"), default=0, validators=[Optional(), NumberRange(0, 100000)]
    )
    self_score = Number(
        _l("Self-assessed score"),
        validators=[DataRequired(message=_l("Enter a score.")), NumberRange(0, 100)],
    )


class EvidenceForm(FlaskForm):
    file = FileField(_l("Photo (JPEG, PNG, WebP) or PDF, up to 10 MB"))
    url = StringField(
        _l("Or a link to the school's post or fanpage"), validators=[Optional(), Length(max=500)]
    )


class VerifyForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    points = Number(_l("Score"), validators=[Optional(), NumberRange(0, 100)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    deadline = DateField(_l("Resubmit by"), validators=[Optional()])


class LockForm(FlaskForm):
    milestone_id = SelectField(_l("Milestone"), coerce=int)


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class UnlockForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for unlocking"), validators=[DataRequired(), Length(max=2000)]
    )
