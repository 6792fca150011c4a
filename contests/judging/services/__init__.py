"""The judging workflow, one module per concern; every public name is importable from here.

``setup`` (settings, pool), ``rubric`` (criteria and points), ``assignment`` (who marks what),
``marking`` (saving and submitting sheets), ``disagreements`` (the double-marking rule applied,
the chief judge's decision), ``dashboard`` (progress and agreement), ``results`` (advancement,
publication) and ``appeals``. Every rule is applied by ``contests.judging.rules`` (pure
functions over ids); these modules load rows, call it and store what comes back, with an audit
entry for every decision people make.
"""

from contests.essay import services as essay_services
from contests.judging.models import Resolution
from contests.judging.services.appeals import (
    APPEAL_DECISION,
    appeals,
    decide_appeal,
    file_appeal,
)
from contests.judging.services.assignment import (
    assign_third_judge,
    declare_conflict,
    move_judge_sheets,
    preview_assignment,
    remind_or_move_overdue,
    run_assignment,
)
from contests.judging.services.dashboard import (
    JudgeProgress,
    agreement,
    counts,
    final_scores,
    latest_resolutions,
    open_disagreements,
    progress,
    ranking,
)
from contests.judging.services.disagreements import (
    CHIEF_DECISION,
    chief_decide,
    criterion_gaps,
    evaluate_entry,
    latest_resolution,
    other_sheets,
)
from contests.judging.services.marking import (
    MAX_COMMENT_CHARS,
    SaveResult,
    get_assignment_for,
    my_assignments,
    save_marks,
    submit_marks,
)
from contests.judging.services.results import (
    advance_entries,
    award_for,
    get_result_for,
    my_results,
    publish_results,
    published_results,
    rerank,
)
from contests.judging.services.rubric import (
    MARK_STEP,
    current_rubric,
    format_points,
    parse_points,
    save_rubric,
)
from contests.judging.services.setup import (
    SETUP_FIELDS,
    JudgingStarted,
    MarkingClosed,
    configure,
    disagreement_rules,
    find_setup,
    get_round,
    is_chief_judge,
    pool,
    pool_members,
    set_pool,
    setup_for,
)

#: The name the views and the JSON API print points with (kept so their modules stay as they are).

__all__ = [
    "APPEAL_DECISION",
    "CHIEF_DECISION",
    "MARK_STEP",
    "MAX_COMMENT_CHARS",
    "SETUP_FIELDS",
    "JudgeProgress",
    "JudgingStarted",
    "MarkingClosed",
    "Resolution",
    "SaveResult",
    "advance_entries",
    "agreement",
    "appeals",
    "assign_third_judge",
    "award_for",
    "chief_decide",
    "configure",
    "counts",
    "criterion_gaps",
    "current_rubric",
    "decide_appeal",
    "declare_conflict",
    "disagreement_rules",
    "essay_services",
    "evaluate_entry",
    "file_appeal",
    "final_scores",
    "find_setup",
    "format_points",
    "get_assignment_for",
    "get_result_for",
    "get_round",
    "is_chief_judge",
    "latest_resolution",
    "latest_resolutions",
    "move_judge_sheets",
    "my_assignments",
    "my_results",
    "open_disagreements",
    "other_sheets",
    "parse_points",
    "pool",
    "pool_members",
    "preview_assignment",
    "progress",
    "publish_results",
    "published_results",
    "ranking",
    "remind_or_move_overdue",
    "rerank",
    "run_assignment",
    "save_marks",
    "save_rubric",
    "set_pool",
    "setup_for",
    "submit_marks",
]
