"""School and class forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from core.schools.models import SchoolLevel

LEVEL_CHOICES = [
    SelectChoice(SchoolLevel.MN.value, _l("Kindergarten (MN)")),
    SelectChoice(SchoolLevel.TH.value, _l("Primary (TH)")),
    SelectChoice(SchoolLevel.THCS.value, _l("Lower secondary (THCS)")),
]


class SchoolForm(FlaskForm):
    code = StringField(
        _l("School code"),
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, - or _ only.")),
        ],
    )
    name = StringField(_l("School name"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES, validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    hotline = StringField(_l("School hotline"), validators=[Optional(), Length(max=40)])


class ClassForm(FlaskForm):
    name = StringField(
        _l("Class name"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("For example 6A1 or 9A3; the grade is read from the name."),
    )
