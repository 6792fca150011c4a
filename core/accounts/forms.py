"""User administration and roster forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from core.accounts.models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.ORGANIZER: _l("Organizer"),
    Role.COORDINATOR: _l("School coordinator"),
    Role.JUDGE: _l("Judge"),
    Role.STUDENT: _l("Student"),
    Role.SAFEGUARDING: _l("Safeguarding staff"),
}


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=3, max=80),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dot, - or _ only.")),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    school_id = SelectField(_l("School"), coerce=int, validators=[Optional()])


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )
    school_id = SelectField(_l("School (for school roles)"), coerce=int, validators=[Optional()])


class RosterImportForm(FlaskForm):
    file = FileField(
        _l("Roster file (.xlsx or .csv)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("Only .xlsx or .csv files can be imported.")),
        ],
    )


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=80)])
