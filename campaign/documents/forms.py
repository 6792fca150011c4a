"""The draft of an official document: subject line, narrative sections, number and date."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

SECTION_LABELS = {
    "situation": _l("Situation"),
    "achievements": _l("Achievements"),
    "shortcomings": _l("Shortcomings"),
    "causes": _l("Causes"),
    "next_tasks": _l("Next tasks"),
    "proposals": _l("Proposals"),
    "grounds": _l("Legal bases"),
    "proposal": _l("On the proposal of"),
    "reasons": _l("Reasons"),
    "request": _l("Request"),
    "conclusion": _l("Conclusion"),
    "requests": _l("Requests to the school"),
    "introduction": _l("Introduction"),
    "closing": _l("Closing"),
}


class DraftForm(FlaskForm):
    subject_line = StringField(_l("Subject line"), validators=[DataRequired(), Length(max=500)])
    number = IntegerField(
        _l("Number"),
        validators=[Optional(), NumberRange(min=1)],
        description=_l("Assigned by the office's register; leave empty until then."),
    )
    issued_on = DateField(_l("Date of issue"), validators=[Optional()])
    recipients = TextAreaField(
        _l("Recipients"),
        validators=[Optional(), Length(max=2000)],
        description=_l("One a line, ending with “- Lưu: VT.”"),
    )


def draft_form_class(section_keys: tuple[str, ...]) -> type[DraftForm]:
    """A draft form with one text area per narrative section of the kind."""
    fields = {
        f"section_{key}": TextAreaField(SECTION_LABELS[key], validators=[Length(max=20000)])
        for key in section_keys
    }
    return type("KindDraftForm", (DraftForm,), fields)


class IssuersForm(FlaskForm):
    """The body that signs a subject's documents, and up to two that co-issue them."""

    signer = SelectField(_l("Issuing body (signs)"), coerce=int)
    co_issuer_1 = SelectField(_l("Co-issuing body"), coerce=int)
    co_issuer_2 = SelectField(_l("Second co-issuing body"), coerce=int)

    def set_choices(self, organisations) -> None:
        choices = [(0, "—")] + [(o.id, o.name) for o in organisations]
        for name in ("signer", "co_issuer_1", "co_issuer_2"):
            getattr(self, name).choices = choices

    def organisation_ids(self) -> list[int]:
        return [v for v in (self.signer.data, self.co_issuer_1.data, self.co_issuer_2.data) if v]
