"""News forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class NewsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[Optional()])
    body_markdown = TextAreaField(
        _l("Text"),
        validators=[Optional(), Length(max=50000)],
        description=_l(
            "Markdown: **bold**, *italic*, - lists, [link](https://…), ![photo](https://…). "
            "HTML is not allowed."
        ),
    )
    image = FileField(
        _l("Cover image (JPEG, PNG or WebP, up to 5 MB)"),
        validators=[
            FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Only JPEG, PNG or WebP images."))
        ],
    )
    publish = BooleanField(_l("Published"))
