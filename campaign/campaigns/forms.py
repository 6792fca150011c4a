"""Campaign forms: a campaign and its phases."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=80)],
        description=_l("Leave empty to make it from the title."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    starts_on = DateField(_l("Start date"), validators=[DataRequired()])
    ends_on = DateField(_l("End date"), validators=[DataRequired()])
    news_needs_approval = BooleanField(
        _l("Schools' news about this campaign waits for an organizer's approval")
    )
    banner = FileField(
        _l("Banner image (JPEG, PNG or WebP, up to 5 MB)"),
        validators=[
            FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Only JPEG, PNG or WebP images."))
        ],
    )


class PhaseForm(FlaskForm):
    kind = SelectField(
        _l("Phase"),
        choices=[
            SelectChoice("launch", _l("Launch")),
            SelectChoice("contests", _l("Contests")),
            SelectChoice("midterm", _l("Mid-term review")),
            SelectChoice("final", _l("Final review")),
        ],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Start date"), validators=[DataRequired()])
    ends_on = DateField(_l("End date"), validators=[DataRequired()])
