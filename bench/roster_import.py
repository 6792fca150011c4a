"""Benchmark: import a 50,000-row roster into one school (target ≤ 10 s).

    .venv/bin/python -m bench.roster_import [--rows 50000] [--database-url URL]

Builds the .xlsx in memory (not timed), imports it on a fresh database (timed: reading,
checking, writing, commit), then imports it again (the idempotent re-import) and prints both.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from openpyxl import Workbook

from app import create_app
from core.accounts.roster import import_roster
from core.config import TestConfig
from core.extensions import db
from core.schools.models import District, School, SchoolLevel


def build_sheet(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Mã học sinh", "Họ và tên", "Ngày sinh", "Lớp", "Giới tính"])
    for n in range(rows):
        grade = 6 + n % 4
        sheet.append(
            [
                f"HS{n:06d}",
                f"Nguyễn Văn Học Sinh {n}",
                f"{1 + n % 28:02d}/{1 + n % 12:02d}/{2020 - grade}",
                f"{grade}A{1 + n % 12}",
                "Nam" if n % 2 else "Nữ",
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app(TestConfig({}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp)))
    data = build_sheet(args.rows)
    print(f"sheet: {args.rows} rows, {len(data) / 1e6:.1f} MB, database {url.split(':')[0]}")
    with app.app_context():
        upgrade()
        district = District(code="B", name="Bench")
        school = School(
            district=district, code="THCS-B", name="Trường THCS Bench", level=SchoolLevel.THCS
        )
        db.session.add(school)
        db.session.commit()
        for label in ("first import", "re-import (no changes)"):
            started = time.perf_counter()
            report = import_roster(
                actor=None, school=school, stream=io.BytesIO(data), filename="b.xlsx"
            )
            db.session.commit()
            elapsed = time.perf_counter() - started
            print(f"{label}: {elapsed:.2f} s  {report.counts}")


if __name__ == "__main__":
    main()
