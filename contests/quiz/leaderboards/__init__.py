"""Quiz leaderboards: ranking and its materialized snapshots, so a page view never ranks everyone.

``ranking`` holds the pure rule (no database): the tie-breaks, each student's packed standing,
class and school lines. ``snapshots`` loads submitted attempts, ranks them and stores a snapshot;
``reading`` serves a board's top lines and the reader's own line from the newest snapshot.
"""

from __future__ import annotations

from contests.quiz.leaderboards.ranking import (
    LEVELS,
    NEVER,
    NO_PREDICTION,
    SCOPES,
    SCORE_UNIT,
    Standings,
    mask_name,
)
from contests.quiz.leaderboards.reading import (
    RELEASED_CONTEST_SNAPSHOT,
    RELEASED_SNAPSHOT,
    SnapshotRef,
    forget_cached_lines,
    latest_snapshot,
    read_leaderboard,
    round_and_latest_snapshot,
    standings,
)
from contests.quiz.leaderboards.replies import board_response, forget_cached_replies
from contests.quiz.leaderboards.snapshots import (
    forget_cached_counts,
    prune_older,
    refresh_snapshots,
    snapshot_contest,
    snapshot_round,
)

__all__ = [
    "LEVELS",
    "NEVER",
    "NO_PREDICTION",
    "RELEASED_CONTEST_SNAPSHOT",
    "RELEASED_SNAPSHOT",
    "SCOPES",
    "SCORE_UNIT",
    "SnapshotRef",
    "Standings",
    "board_response",
    "forget_cached_rows",
    "latest_snapshot",
    "mask_name",
    "prune_older",
    "read_leaderboard",
    "refresh_snapshots",
    "round_and_latest_snapshot",
    "snapshot_contest",
    "snapshot_round",
    "standings",
]


def forget_cached_rows() -> None:
    """Forget what this worker cached of snapshots and eligible counts (tests, after a rollback)."""
    forget_cached_counts()
    forget_cached_lines()
    forget_cached_replies()
