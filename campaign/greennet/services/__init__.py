"""The movement's rules, one module per concern; every public name is importable from here.

``movements`` (school years, milestones, tier thresholds), ``criteria`` and ``criteria_import``
(the criteria sets, by hand or from a spreadsheet), ``activities`` (a school's activities and
their evidence), ``verification`` (the district approves, returns, locks and reopens),
``scoring`` (points, tiers, quota and ranks, no queries), ``standings`` (loads the rows and
scores them), ``locks`` (lock, unlock, reopen) and ``records`` (the locked results, read back as
recorded: ``is_locked`` and ``locked_result`` are what other packages ask).

Workflow of an activity: a coordinator writes it (draft), adds evidence and submits it; the
district approves it (optionally adjusting the score, with a comment), or returns it for more
evidence with a deadline; a returned activity is edited and submitted again. A school's
assessment can be locked at a milestone (its score and tier are frozen in a snapshot) and
reopened only with a reason; a locked result never changes, and unlocking one needs a reason. Every verification step is written to the audit log, because
awards can be revoked and the district must show who decided what, when, and why.
"""

from campaign.greennet.services.activities import (
    EVIDENCE_MAX_BYTES,
    PDF_MAGIC,
    AssessmentLocked,
    activities_for,
    add_evidence_file,
    add_link,
    add_pdf,
    add_photo,
    assessment_for,
    delete_activity,
    find_assessment,
    missing_evidence,
    remove_evidence,
    save_activity,
    submit_activity,
)
from campaign.greennet.services.criteria import (
    add_criterion,
    copy_from_last_year,
    criteria_for_school,
    criteria_versions,
    current_set,
    delete_criterion,
    update_criterion,
)
from campaign.greennet.services.criteria_import import (
    CRITERIA_COLUMNS,
    CRITERIA_REQUIRED,
    EVIDENCE_WORDS,
    criteria_workbook,
    import_criteria,
)
from campaign.greennet.services.locks import (
    VerificationIncomplete,
    lock_all,
    lock_assessment,
    pending_activities,
    reopen_assessment,
    unlock_assessment,
)
from campaign.greennet.services.movements import (
    create_movement,
    current_movement,
    default_milestones,
    movements,
    period,
    set_milestone_date,
    update_tiers,
)
from campaign.greennet.services.records import (
    MILESTONE_KEYS,
    LockedResult,
    is_locked,
    locked_result,
    locked_results,
    milestone_for,
    milestone_kind,
    snapshots,
)
from campaign.greennet.services.scoring import (
    QUOTA_RULES,
    CriterionScore,
    SchoolScore,
    apply_tiers,
    quota_allowed,
    tier_for,
)
from campaign.greennet.services.standings import (
    school_standing,
    standings,
)
from campaign.greennet.services.verification import (
    approve_activity,
    coordinator_ids,
    remind_return_deadlines,
    return_activity,
    verification_queue,
)

__all__ = [
    "CRITERIA_COLUMNS",
    "CRITERIA_REQUIRED",
    "EVIDENCE_MAX_BYTES",
    "EVIDENCE_WORDS",
    "MILESTONE_KEYS",
    "PDF_MAGIC",
    "QUOTA_RULES",
    "AssessmentLocked",
    "CriterionScore",
    "LockedResult",
    "SchoolScore",
    "VerificationIncomplete",
    "activities_for",
    "add_criterion",
    "add_evidence_file",
    "add_link",
    "add_pdf",
    "add_photo",
    "apply_tiers",
    "approve_activity",
    "assessment_for",
    "coordinator_ids",
    "copy_from_last_year",
    "create_movement",
    "criteria_for_school",
    "criteria_versions",
    "criteria_workbook",
    "current_movement",
    "current_set",
    "default_milestones",
    "delete_activity",
    "delete_criterion",
    "find_assessment",
    "import_criteria",
    "is_locked",
    "lock_all",
    "lock_assessment",
    "locked_result",
    "locked_results",
    "milestone_for",
    "milestone_kind",
    "missing_evidence",
    "movements",
    "pending_activities",
    "period",
    "quota_allowed",
    "remind_return_deadlines",
    "remove_evidence",
    "reopen_assessment",
    "return_activity",
    "save_activity",
    "school_standing",
    "set_milestone_date",
    "snapshots",
    "standings",
    "submit_activity",
    "tier_for",
    "unlock_assessment",
    "update_criterion",
    "update_tiers",
    "verification_queue",
]
