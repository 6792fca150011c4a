"""The form of an issuing body."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from core.organisations.models import OrganisationKind

KIND_CHOICES = [
    SelectChoice(OrganisationKind.EDUCATION_OFFICE.value, _l("Education office")),
    SelectChoice(OrganisationKind.PEOPLES_COMMITTEE.value, _l("People's committee")),
    SelectChoice(OrganisationKind.YOUTH_UNION.value, _l("Youth Union")),
    SelectChoice(OrganisationKind.SCHOOL.value, _l("School")),
]


class OrganisationForm(FlaskForm):
    kind = SelectField(_l("Kind of body"), choices=KIND_CHOICES, validators=[DataRequired()])
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As it heads a document, e.g. Phòng Giáo dục và Đào tạo."),
    )
    parent_name = StringField(
        _l("Parent body"),
        validators=[Optional(), Length(max=200)],
        description=_l("The line above the name in a heading, e.g. UBND xã Gia Lâm."),
    )
    place_name = StringField(
        _l("Place in the date line"),
        validators=[Optional(), Length(max=100)],
        description=_l("For example Gia Lâm, in “Gia Lâm, ngày … tháng … năm …”."),
    )
    symbol = StringField(
        _l("Abbreviation in document numbers"),
        validators=[Optional(), Length(max=30)],
        description=_l("For example PGDĐT, in “12/QĐ-PGDĐT”."),
    )
    signer_title = StringField(_l("Signer's title"), validators=[Optional(), Length(max=200)])
    signer_name = StringField(_l("Signer's name"), validators=[Optional(), Length(max=120)])
    school_id = SelectField(_l("School"), coerce=int, choices=[], validators=[Optional()])
    logo = FileField(
        _l("Logo (JPEG, PNG, WebP), optional"),
        description=_l("Re-encoded and stripped of its metadata, like every uploaded photo."),
    )
