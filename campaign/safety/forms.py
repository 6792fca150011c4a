"""Safety corner forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class SafetyReportForm(FlaskForm):
    school_id = SelectField(_l("School"), coerce=int, validators=[Optional()])
    what_happened = TextAreaField(
        _l("What happened?"),
        validators=[DataRequired(), Length(min=10, max=5000)],
        description=_l(
            "Describe what you saw or what happened to you. Do not attach photos of a child."
        ),
    )
    where = StringField(
        _l("Where did it happen? (a link, or the app or platform)"),
        validators=[Optional(), Length(max=500)],
    )
    when = StringField(_l("When did it happen?"), validators=[Optional(), Length(max=200)])
    who_affected = StringField(
        _l("Who is affected?"),
        validators=[Optional(), Length(max=500)],
        description=_l("For example: me, a friend in my class, my child."),
    )
    anonymous = BooleanField(_l("Send anonymously"), default=True)
    contact = StringField(
        _l("How can we contact you? (optional)"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "A phone number or e-mail. Leave empty, or tick anonymous, to stay unknown."
        ),
    )


class ReportStatusForm(FlaskForm):
    status = SelectField(
        _l("New status"),
        choices=[
            SelectChoice("verifying", _l("Verifying")),
            SelectChoice("handled", _l("Handled")),
            SelectChoice("forwarded", _l("Forwarded")),
        ],
    )
    forwarded_to = SelectField(
        _l("Passed on to"),
        choices=[
            SelectChoice("", _l("—")),
            SelectChoice("111", _l("Hotline 111")),
            SelectChoice("police", _l("Police")),
            SelectChoice("commune", _l("Commune authorities")),
        ],
        validators=[Optional()],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class FollowUpForm(FlaskForm):
    reference = StringField(
        _l("Reference"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("e.g. AT-7KQ2MX"),
    )
    secret = StringField(
        _l("Secret phrase"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("The four groups you were given when you sent the report."),
    )


class FollowUpMessageForm(FlaskForm):
    reference = HiddenField(validators=[DataRequired(), Length(max=20)])
    secret = HiddenField(validators=[DataRequired(), Length(max=60)])
    text = TextAreaField(_l("Add to your report"), validators=[DataRequired(), Length(max=5000)])


class ReplyForm(FlaskForm):
    text = TextAreaField(
        _l("Reply to the reporter"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l(
            "The reporter reads this with their reference and secret phrase. "
            "Do not name other children."
        ),
    )
