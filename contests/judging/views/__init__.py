"""Judging pages, by audience: the judge's queue and sheet (``judge``), the chief judge's
dashboard and decisions (``chief``), district staff's set-up (``organizer``), appeals
(``appeals``) and results (``results``). One blueprint, ``judging``, for all of them, so the
endpoint names stay ``judging.<view>``."""

from contests.judging.views import appeals, chief, judge, organizer, results
from contests.judging.views.common import bp

__all__ = ["appeals", "bp", "chief", "judge", "organizer", "results"]
