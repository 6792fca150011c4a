"""Judging forms: set-up and pool, rubric, assignment, decisions, advancement, appeals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (``macros/forms.html`` ``checklist``)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


#: Rows offered on the rubric form (blank rows are ignored).
RUBRIC_ROWS = 6


class SetupForm(FlaskForm):
    judges_per_entry = IntegerField(
        _l("Judges per entry"), default=2, validators=[DataRequired(), NumberRange(min=1, max=5)]
    )
    days_to_mark = IntegerField(
        _l("Days to mark"),
        default=7,
        validators=[DataRequired(), NumberRange(min=1, max=60)],
        description=_l("After this, the judge is reminded."),
    )
    days_after_reminder = IntegerField(
        _l("Days after the reminder"),
        default=2,
        validators=[DataRequired(), NumberRange(min=1, max=30)],
        description=_l("Then the sheet moves to a reserve judge."),
    )
    mean_below_pct = IntegerField(
        _l("Gap for the mean (% of the scale, below)"),
        default=10,
        validators=[DataRequired(), NumberRange(min=1, max=100)],
    )
    reconcile_up_to_pct = IntegerField(
        _l("Gap for reconciling (% of the scale, up to)"),
        default=15,
        validators=[DataRequired(), NumberRange(min=1, max=100)],
        description=_l("Above this a third judge marks the entry."),
    )
    spread_up_to_pct = IntegerField(
        _l("Spread of three marks for their mean (% of the scale, up to)"),
        default=25,
        validators=[DataRequired(), NumberRange(min=1, max=100)],
        description=_l("Above this the chief judge decides."),
    )
    appeal_days = IntegerField(
        _l("Days for appeals after publication"),
        default=7,
        validators=[DataRequired(), NumberRange(min=1, max=60)],
    )
    merit_up_to = IntegerField(
        _l("Merit certificates up to rank"),
        default=10,
        validators=[DataRequired(), NumberRange(min=3, max=1000)],
    )
    # Checkbox lists (with a filter box on the page), not multi-selects: a phone cannot Ctrl-click.
    active = CheckboxListField(_l("Active judges"), coerce=int, validators=[Optional()])
    reserve = CheckboxListField(_l("Reserve judges"), coerce=int, validators=[Optional()])
    chief_judge = SelectField(_l("Chief judge"), coerce=int, validators=[Optional()])


class CriterionForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(_l("Criterion"), validators=[Optional(), Length(max=200)])
    guidance = TextAreaField(_l("Guidance for judges"), validators=[Optional(), Length(max=2000)])
    max_points = StringField(_l("Maximum points"), validators=[Optional(), Length(max=8)])


class RubricForm(FlaskForm):
    scale = StringField(_l("Total scale"), default="10", validators=[DataRequired(), Length(max=8)])
    criteria = FieldList(FormField(CriterionForm), min_entries=RUBRIC_ROWS, max_entries=RUBRIC_ROWS)


class AssignForm(FlaskForm):
    seed = HiddenField(validators=[DataRequired()])


class DecisionForm(FlaskForm):
    value = StringField(
        _l("Final mark"),
        validators=[DataRequired(), Length(max=8)],
        description=_l("In steps of 0.25."),
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ConflictForm(FlaskForm):
    reason = TextAreaField(
        _l("Why can you not mark this entry fairly?"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("For example: you recognise the author. The entry goes to another judge."),
    )


class AdvanceForm(FlaskForm):
    to_round = SelectField(_l("Next round"), coerce=int, validators=[DataRequired()])
    top_n = IntegerField(
        _l("How many go through"), default=10, validators=[DataRequired(), NumberRange(min=1)]
    )
    per_school = BooleanField(_l("Top N of each school (instead of overall)"))


class AppealForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you ask for a re-mark?"), validators=[DataRequired(), Length(max=2000)]
    )


class ActionForm(FlaskForm):
    """A button that needs only the CSRF token (moving a withdrawn judge's sheets)."""


class PublishForm(FlaskForm):
    """Publishing fixes every rank and award: the organizer ticks that they mean it (the page
    says what it fixes)."""

    confirm = BooleanField(
        _l("I have checked the marks and want to publish the results now."),
        validators=[
            DataRequired(message=_l("Tick the box to confirm that the results may be published."))
        ],
    )
