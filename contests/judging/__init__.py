"""Blind judging of writing-contest entries: rubrics, assignment, marking, resolution, results.

``rules`` holds the pure rules engine (no database, no Flask): balanced conflict-free assignment
of judges, the Vietnamese double-marking rule for disagreements, agreement statistics and
ranking with advancement. The package's services call it with plain ids and store the outcome.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from contests.judging import models  # noqa: F401
