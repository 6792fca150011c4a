"""Import a question file all or nothing: read, check every question, then write them all or none."""

from __future__ import annotations

from flask_babel import gettext as _

from contests.quiz import services
from contests.quiz.categories import category_code
from contests.quiz.formats.aiken import read_aiken
from contests.quiz.formats.drafts import Draft, check, check_pools
from contests.quiz.formats.gift import read_gift
from contests.quiz.formats.xlsx import read_xlsx
from contests.quiz.models import Pool, QuestionCategory
from core import audit
from core.extensions import db
from core.spreadsheets import ImportRejected, Report


def _write(
    *, actor, drafts: list[Draft], category_id: int | None, pool: Pool, report: Report
) -> Report:
    if report.errors:
        raise ImportRejected(report)
    categories: dict[str, QuestionCategory] = {}
    created_categories = 0
    for draft in drafts:
        if category_id and not draft.category:
            target = category_id
        else:
            name = draft.category
            if name not in categories:
                found = services.category_by_name_or_code(name)
                if found is None:
                    found = QuestionCategory(code=category_code(name), name=name)
                    db.session.add(found)
                    db.session.flush()
                    created_categories += 1
                categories[name] = found
            target = categories[name].id
        services.save_question(
            actor=actor,
            question=None,
            category_id=target,
            kind=draft.kind,
            text=draft.text,
            choices=draft.choices,
            explanation=draft.explanation,
            difficulty=draft.difficulty,
            source=draft.source,
            valid_from=draft.valid_from,
            valid_to=draft.valid_to,
            pool=draft.pool or pool,
            audit_it=False,
        )
    report.counts = {"questions": len(drafts), "categories": created_categories}
    audit.record(
        actor=actor,
        action="quiz.questions_import",
        object_type="quiz_question",
        after=report.counts,
    )
    return report


def import_questions(
    *,
    actor,
    data: bytes,
    filename: str,
    fmt: str,
    category_id: int | None = None,
    pool: str = Pool.CONTEST,
) -> Report:
    """Read a question file and write every question, or none (raises ImportRejected)."""
    report = Report()
    if fmt == "xlsx":
        drafts = read_xlsx(data, filename, report)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.add(
                None,
                None,
                _("The file's text encoding cannot be read. Save it as UTF-8 and try again."),
            )
            raise ImportRejected(report) from None
        drafts = read_aiken(text, report) if fmt == "aiken" else read_gift(text, report)
        for draft in drafts:
            if not draft.category and not category_id:
                draft.problems.append((None, _("Choose a category for this file.")))
    for draft in drafts:
        check(draft, report)
    check_pools(drafts, Pool(pool), report)
    if not drafts and not report.errors:
        report.add(None, None, _("The file is empty."))
    return _write(
        actor=actor, drafts=drafts, category_id=category_id, pool=Pool(pool), report=report
    )
