"""The judging rules engine, re-exported from its modules."""

from contests.judging.rules.assignment import *  # noqa: F403
from contests.judging.rules.assignment import __all__, _icc_meaning  # noqa: F401
