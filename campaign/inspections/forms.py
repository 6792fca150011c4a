"""The forms of an inspection: its plan, a finding, a photo, acting on an activity, concluding."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DecimalField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.inspections.models import InspectionKind, Rating

KIND_LABELS = {
    InspectionKind.REGULAR: _l("Regular (định kỳ)"),
    InspectionKind.SURPRISE: _l("Surprise (đột xuất)"),
}
RATING_LABELS = {
    Rating.MET: _l("Met"),
    Rating.PARTLY: _l("Partly met"),
    Rating.NOT_MET: _l("Not met"),
}


class PlanForm(FlaskForm):
    movement_id = SelectField(_l("Movement"), coerce=int, validators=[DataRequired()])
    school_id = SelectField(_l("School"), coerce=int, validators=[DataRequired()])
    kind = SelectField(
        _l("Kind of inspection"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[DataRequired()],
    )
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("To"), validators=[DataRequired()])
    team = TextAreaField(
        _l("Inspection team"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("One member a line, the head of the team first: name - position."),
    )
    scope = TextAreaField(_l("Scope"), validators=[Optional(), Length(max=2000)])
    school_representatives = TextAreaField(
        _l("School representatives"),
        validators=[Optional(), Length(max=2000)],
        description=_l("One a line: name - position."),
    )


class FindingForm(FlaskForm):
    rating = SelectField(
        _l("Rating"),
        choices=[SelectChoice(r.value, label) for r, label in RATING_LABELS.items()],
        validators=[DataRequired()],
    )
    note = TextAreaField(_l("What the team saw"), validators=[Optional(), Length(max=4000)])


class PhotoForm(FlaskForm):
    file = FileField(_l("Photo (JPEG, PNG, WebP), up to 10 MB"), validators=[FileRequired()])


class ActForm(FlaskForm):
    """Return an activity for more evidence, or adjust its verified score."""

    action = HiddenField(validators=[DataRequired()])
    activity_id = SelectField(_l("Activity"), coerce=int, validators=[DataRequired()])
    points = DecimalField(_l("Verified score"), validators=[Optional(), NumberRange(0, 100)])
    comment = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    deadline = DateField(_l("Resubmit by"), validators=[Optional()])


class ConcludeForm(FlaskForm):
    conclusion = TextAreaField(_l("Conclusion"), validators=[DataRequired(), Length(max=10000)])
