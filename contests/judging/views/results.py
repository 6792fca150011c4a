"""Results: the public page after publication, each student's own marks and certificates."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user, login_required

from contests.essay.anonymity import public_name
from contests.judging import exports, services
from contests.judging.forms import AppealForm
from contests.judging.models import (
    Appeal,
    JudgingRound,
)
from contests.judging.permissions import can_view_results
from contests.judging.views.common import bp
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.clock import utcnow
from core.extensions import db
from core.i18n import format_number
from core.schools.models import School


@bp.route("/results/essay/<int:round_id>")
def results(round_id: int):
    """The public results page (after publication): masked names unless consent was given."""
    round_ = services.get_round(round_id)
    setup = services.find_setup(round_id)
    if not can_view_results(current_user, setup):
        abort(404)
    rows = services.published_results(round_.id)
    schools = dict(db.session.execute(sa.select(School.id, School.name)).all())
    shown = [
        {
            "rank": r.rank,
            "tied": r.tied,
            "score": format_number(r.score),
            "award": exports.award_label(r.award),
            "winner": r.award.value != "participation",
            "name": public_name(r.entry.student.full_name, consent=r.entry.may_publish_name),
            "school": schools.get(r.entry.school_id, "") if r.entry.may_publish_name else "",
            "advanced": r.advanced,
        }
        for r in rows
    ]
    return render_template("contests/judging/results.html", round=round_, setup=setup, rows=shown)


@bp.route("/judging/my-results")
@roles_required(Role.STUDENT)
def my_results():
    """The student's own published marks, comments and certificates, and appeals."""
    items = services.my_results(current_user)
    setups = {
        s.round_id: s
        for s in db.session.scalars(
            sa.select(JudgingRound).where(
                JudgingRound.round_id.in_([r.round_id for r, _s in items])
            )
        )
    }
    appeals = {
        a.entry_id: a
        for a in db.session.scalars(sa.select(Appeal).where(Appeal.student_id == current_user.id))
    }
    return render_template(
        "contests/judging/my_results.html",
        items=items,
        setups=setups,
        appeals=appeals,
        form=AppealForm(),
        award_label=exports.award_label,
        fmt=format_number,
        now=utcnow(),
    )


@bp.route("/judging/results/<int:result_id>/certificate.pdf")
@login_required
def certificate(result_id: int):
    """The student's certificate (a winner's, or of participation) as PDF."""
    result = services.get_result_for(current_user, result_id)
    data = exports.certificate_pdf(result)
    return (
        data,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="giay-chung-nhan-{result.entry.code}.pdf"',
        },
    )
