"""Organizer forms: contests, rounds, questions, imports, extra time."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from contests.quiz.models import (
    MultipleScoring,
    Pool,
    PredictionActual,
    Question,
    QuestionCategory,
    QuestionKind,
    QuizRound,
    RoundKind,
)
from core.clock import local_to_utc, local_zone
from core.extensions import db

#: The campaign table, named without importing the campaign package (contests never import it).
CAMPAIGN = sa.table("campaign", sa.column("id"), sa.column("title"))
MAX_CHOICES = 6


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


KIND_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"),
    QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.TRUEFALSE: _l("True / false"),
}
POOL_LABELS = {Pool.CONTEST: _l("Contest rounds"), Pool.PRACTICE: _l("Practice")}


class ContestForm(FlaskForm):
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    reveal_keys_after_last_round = BooleanField(
        _l("Show answers and explanations only once the contest's last ranked round has closed"),
        default=True,
        description=_l(
            "Recommended: a released round's review would otherwise answer questions "
            "on the papers of a round still open."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows = db.session.execute(
            sa.select(CAMPAIGN.c.id, CAMPAIGN.c.title).order_by(CAMPAIGN.c.id.desc())
        )
        self.campaign_id.choices = options((cid, title) for cid, title in rows)


class ExtraTimeForm(FlaskForm):
    username = StringField(_l("Student's username"), validators=[DataRequired(), Length(max=80)])
    extra_minutes = IntegerField(
        _l("Extra time (minutes)"), validators=[DataRequired(), NumberRange(min=0, max=180)]
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReleaseForm(FlaskForm):
    """Releasing a round's results: the organizer ticks that they mean it (the page says what
    it fixes)."""

    confirm = BooleanField(
        _l("I have checked the results and want to release them now."),
        validators=[
            DataRequired(message=_l("Tick the box to confirm that the results may be released."))
        ],
    )


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=options(
            [
                (RoundKind.RANKED.value, _l("Ranked")),
                (RoundKind.PRACTICE.value, _l("Practice")),
            ]
        ),
    )
    opens_at = DateTimeLocalField(_l("Opens at"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes at"), validators=[DataRequired()])
    time_limit = IntegerField(
        _l("Time limit (minutes)"), default=15, validators=[DataRequired(), NumberRange(1, 600)]
    )
    balance_difficulty = BooleanField(_l("Balance the difficulty of drawn questions"))
    shuffle_questions = BooleanField(_l("Shuffle the questions"), default=True)
    shuffle_choices = BooleanField(_l("Shuffle the choices"), default=True)
    attempts_allowed = IntegerField(
        _l("Attempts allowed (the best counts)"), default=1, validators=[NumberRange(1, 20)]
    )
    multiple_scoring = SelectField(
        _l("Multiple-choice scoring"),
        choices=options(
            [
                (MultipleScoring.ALL_OR_NOTHING.value, _l("All or nothing")),
                (MultipleScoring.PARTIAL.value, _l("Partial credit")),
            ]
        ),
    )
    eligible_levels = MultiCheckboxField(
        _l("School levels (none ticked: all)"),
        choices=options(
            [
                ("MN", _l("Kindergarten")),
                ("TH", _l("Primary")),
                ("THCS", _l("Lower secondary")),
            ]
        ),
    )
    eligible_grades = StringField(
        _l("Grades (e.g. 6,7,8,9; empty: all)"),
        validators=[
            Optional(),
            Regexp(r"^\s*\d(\s*,\s*\d)*\s*$", message=_l("Grades separated by commas.")),
        ],
    )
    prediction_enabled = BooleanField(_l("Ask the prediction question"))
    prediction_actual = SelectField(
        _l("The prediction is compared with"),
        choices=options(
            [
                (PredictionActual.PERFECT.value, _l("the number of perfect scores")),
                (PredictionActual.ENTRANTS.value, _l("the number of entrants")),
            ]
        ),
    )
    results_release_at = DateTimeLocalField(_l("Results released at"), validators=[Optional()])
    show_answers = BooleanField(_l("Show answers and explanations after release"))
    show_score_on_submit = BooleanField(_l("Show the score right after submitting"), default=True)
    prize_points = StringField(
        _l("School prize points for the top students"),
        default="10,8,6",
        validators=[
            Optional(),
            Regexp(r"^\s*\d+(\s*,\s*\d+)*\s*$", message=_l("Numbers separated by commas.")),
        ],
    )

    category_fields: list[tuple[int, str]]

    @classmethod
    def for_round(
        cls,
        round_: QuizRound | None,
        categories: list[QuestionCategory],
        counts: dict | None = None,
    ):
        """A form with one "how many questions" field per category; ``counts`` (from
        ``services.pool_counts``) puts each pool's drawable questions beside its field."""
        counts = counts or {}

        class _Form(cls):
            pass

        rules = {
            int(r["category_id"]): int(r["count"]) for r in (round_.draw_rules if round_ else [])
        }
        for category in categories:
            setattr(
                _Form,
                f"count_{category.id}",
                IntegerField(
                    category.name,
                    default=rules.get(category.id, 0),
                    validators=[Optional(), NumberRange(0, 200)],
                    description=_pool_note(counts, category.id),
                ),
            )
        form = _Form(obj=round_, data=_initial(round_) if round_ else None)
        form.category_fields = [(c.id, f"count_{c.id}") for c in categories]
        return form


def _pool_note(counts: dict, category_id: int) -> str:
    """The note beside a category's draw field: "Ranked: 12 unexposed of 20 · practice: 8"."""
    contest = counts.get((Pool.CONTEST, category_id))
    practice = counts.get((Pool.PRACTICE, category_id))
    return _(
        "Ranked: %(unexposed)d unexposed of %(active)d · practice: %(practice)d",
        unexposed=contest.unexposed if contest else 0,
        active=contest.active if contest else 0,
        practice=practice.active if practice else 0,
    )


def _local(value):
    return value.astimezone(local_zone()).replace(tzinfo=None) if value else None


def _initial(round_: QuizRound) -> dict:
    return {
        "opens_at": _local(round_.opens_at),
        "closes_at": _local(round_.closes_at),
        "results_release_at": _local(round_.results_release_at),
        "time_limit": round_.time_limit_seconds // 60,
        "eligible_levels": round_.levels,
        "kind": round_.kind.value,
        "multiple_scoring": round_.multiple_scoring.value,
        "prediction_actual": round_.prediction_actual.value,
    }


def round_form_values(form: RoundForm) -> dict:
    """The service's keyword arguments from a valid round form (local times → UTC)."""
    grades = ",".join(g.strip() for g in (form.eligible_grades.data or "").split(",") if g.strip())
    prizes = ",".join(p.strip() for p in (form.prize_points.data or "").split(",") if p.strip())
    return {
        "title": form.title.data.strip(),
        "kind": RoundKind(form.kind.data),
        "opens_at": local_to_utc(form.opens_at.data),
        "closes_at": local_to_utc(form.closes_at.data),
        "time_limit_seconds": form.time_limit.data * 60,
        "draw_rules": [
            {"category_id": cid, "count": getattr(form, name).data or 0}
            for cid, name in form.category_fields
            if getattr(form, name).data
        ],
        "balance_difficulty": form.balance_difficulty.data,
        "shuffle_questions": form.shuffle_questions.data,
        "shuffle_choices": form.shuffle_choices.data,
        "attempts_allowed": form.attempts_allowed.data or 1,
        "multiple_scoring": MultipleScoring(form.multiple_scoring.data),
        "eligible_levels": ",".join(form.eligible_levels.data or []),
        "eligible_grades": grades,
        "prediction_enabled": form.prediction_enabled.data,
        "prediction_actual": PredictionActual(form.prediction_actual.data),
        "results_release_at": local_to_utc(form.results_release_at.data)
        if form.results_release_at.data
        else None,
        "show_answers": form.show_answers.data,
        "show_score_on_submit": form.show_score_on_submit.data,
        "prize_points": prizes,
    }


class QuestionForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=int, validators=[DataRequired()])
    pool = SelectField(_l("Pool"), choices=options([(k.value, v) for k, v in POOL_LABELS.items()]))
    kind = SelectField(_l("Type"), choices=options([(k.value, v) for k, v in KIND_LABELS.items()]))
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=5000)])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=5000)])
    difficulty = SelectField(
        _l("Difficulty"),
        coerce=int,
        choices=options([(1, _l("Easy")), (2, _l("Medium")), (3, _l("Hard"))]),
        default=2,
    )
    source = StringField(
        _l("Legal source (instrument, article)"), validators=[Optional(), Length(max=300)]
    )
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])

    choice_rows: list[tuple[str, str]]

    @classmethod
    def for_question(cls, question: Question | None):
        class _Form(cls):
            pass

        for index in range(1, MAX_CHOICES + 1):
            setattr(
                _Form,
                f"choice_{index}",
                StringField(_l("Choice %(n)d", n=index), validators=[Optional(), Length(max=2000)]),
            )
            setattr(_Form, f"correct_{index}", BooleanField(_l("Right answer")))
        data = {}
        if question is not None:
            for index, choice in enumerate(question.choices, start=1):
                data[f"choice_{index}"] = choice.text
                data[f"correct_{index}"] = choice.correct
            data["kind"] = question.kind.value
            data["pool"] = question.pool.value
        form = _Form(obj=question, data=data or None)
        form.category_id.choices = options(
            (c.id, c.name)
            for c in db.session.scalars(sa.select(QuestionCategory).order_by(QuestionCategory.name))
        )
        form.choice_rows = [(f"choice_{i}", f"correct_{i}") for i in range(1, MAX_CHOICES + 1)]
        return form

    def choice_pairs(self) -> list[tuple[str, bool]]:
        pairs = []
        for text_name, correct_name in self.choice_rows:
            text = (getattr(self, text_name).data or "").strip()
            if text:
                pairs.append((text, bool(getattr(self, correct_name).data)))
        return pairs


class ImportForm(FlaskForm):
    format = SelectField(
        _l("Format"),
        choices=options(
            [
                ("xlsx", _l("Excel (.xlsx) from the template")),
                ("aiken", "Aiken"),
                ("gift", "GIFT"),
            ]
        ),
    )
    file = FileField(_l("File"), validators=[FileRequired()])
    category_id = SelectField(
        _l("Category (Aiken and GIFT files)"), coerce=int, validators=[Optional()]
    )
    pool = SelectField(_l("Pool"), choices=options([(k.value, v) for k, v in POOL_LABELS.items()]))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = options([(0, "—")]) + options(
            (c.id, c.name)
            for c in db.session.scalars(sa.select(QuestionCategory).order_by(QuestionCategory.name))
        )


class CategoryForm(FlaskForm):
    name = StringField(_l("New category"), validators=[DataRequired(), Length(max=200)])
