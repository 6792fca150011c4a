"""Quiz pages, by audience: students (``students``), organizers' contests and rounds
(``rounds``) and the question bank (``bank``). One blueprint, ``quiz``, for all of them, so the
endpoint names stay ``quiz.<view>``."""

from contests.quiz.views import bank, rounds, students
from contests.quiz.views.common import bp

__all__ = ["bank", "bp", "rounds", "students"]
