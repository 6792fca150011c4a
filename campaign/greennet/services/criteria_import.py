"""Criteria from and to a spreadsheet: the district's import and the workbook it starts from."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from campaign.greennet.models import (
    CriteriaSet,
    Criterion,
    Movement,
)
from campaign.greennet.services.criteria import check_criterion, new_version
from core import audit
from core.errors import Conflict
from core.extensions import db
from core.schools.models import SchoolLevel
from core.spreadsheets import ImportRejected, Report, clean_text, read_table, workbook_bytes

#: The columns of a criteria workbook (Vietnamese headers are part of the file format).
CRITERIA_COLUMNS = {
    "code": "Mã",
    "title": "Tiêu chí",
    "guidance": "Hướng dẫn",
    "max_points": "Điểm tối đa",
    "evidence": "Minh chứng",
    "max_count": "Số lần tính",
    "metric": "Chỉ số tự động",
}


CRITERIA_REQUIRED = ("code", "title", "max_points")


#: How evidence kinds may be written in the sheet.
EVIDENCE_WORDS = {
    "ảnh": "photo",
    "anh": "photo",
    "photo": "photo",
    "tệp": "file",
    "tep": "file",
    "file": "file",
    "pdf": "file",
    "liên kết": "link",
    "lien ket": "link",
    "link": "link",
}


def _number(value):
    text = clean_text(value).replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def import_criteria(
    *, actor, movement: Movement, level: SchoolLevel, stream, filename: str, now=None
) -> Report:
    """Import a level's criteria from .xlsx/.csv as a new version: all rows or none."""
    report = Report()
    table = read_table(stream, filename, CRITERIA_COLUMNS, CRITERIA_REQUIRED, report)
    if table is None:
        raise ImportRejected(report)
    rows = []
    seen = set()
    for number, values in table.rows:
        code = clean_text(values.get("code"))
        kinds_text = clean_text(values.get("evidence")).lower()
        kinds = []
        for word in [w.strip() for w in re.split(r"[,;/]", kinds_text) if w.strip()]:
            kinds.append(EVIDENCE_WORDS.get(word, word))
        metric = clean_text(values.get("metric")) or None
        count_value = _number(values.get("max_count"))
        item = {
            "code": code,
            "title": clean_text(values.get("title")),
            "guidance": clean_text(values.get("guidance")),
            "max_points": _number(values.get("max_points")),
            "evidence_kinds": kinds,
            "max_count": int(count_value)
            if count_value and count_value.is_integer()
            else (1 if count_value is None else 0),
            "computed": metric is not None,
            "metric": metric,
        }
        checked = {k: v for k, v in item.items() if k != "guidance"}
        for column, message in check_criterion(**checked):
            report.add(number, CRITERIA_COLUMNS.get(column, CRITERIA_COLUMNS["evidence"]), message)
        if code in seen:
            report.add(
                number, CRITERIA_COLUMNS["code"], _("The code %(code)s appears twice.", code=code)
            )
        seen.add(code)
        rows.append(item)
    if not report.ok:
        raise ImportRejected(report)
    try:
        criteria_set = new_version(
            actor=actor, movement=movement, level=level, source="import", now=now
        )
    except Conflict as error:
        report.add(None, None, error.message)
        raise ImportRejected(report) from None
    for position, item in enumerate(rows, start=1):
        item["evidence_kinds"] = ",".join(item["evidence_kinds"])
        criteria_set.criteria.append(Criterion(position=position, **item))
    db.session.flush()
    report.counts = {"criteria": len(rows), "version": criteria_set.version}
    audit.record(
        actor=actor,
        action="greennet.criteria.import",
        obj=criteria_set,
        after={"level": level.value, "version": criteria_set.version, "rows": len(rows)},
        now=now,
    )
    return report


def criteria_workbook(criteria_set: CriteriaSet | None) -> bytes:
    """The criteria as a workbook in the import format (an empty template when None)."""
    kinds_vi = {"photo": "ảnh", "file": "tệp", "link": "liên kết"}
    rows = []
    for c in criteria_set.criteria if criteria_set else []:
        rows.append(
            [
                c.code,
                c.title,
                c.guidance,
                c.max_points,
                ", ".join(kinds_vi[k] for k in c.evidence_kinds.split(",") if k),
                c.max_count,
                c.metric or "",
            ]
        )
    return workbook_bytes([("Tiêu chí", list(CRITERIA_COLUMNS.values()), rows)])
