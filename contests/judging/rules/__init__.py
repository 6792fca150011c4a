"""The judging rules engine: pure functions over plain ids, no database and no Flask.

The judging services load rows, call these functions with small frozen dataclasses and store what
comes back. Every rule lives here once, so it can be tested exhaustively and read in one place.
Errors are ``ValueError`` subclasses that carry a reason key and the ids involved; the services
turn them into translated ``DomainError`` messages (this package never translates).

Four parts, each a module whose docstring explains its rules:

1. Assignment of judges to entries: ``assignment`` (``plan_assignment``) and ``reassignment``
   (``reassign``, ``pick_third_judge``), both within ``eligibility`` (own school, conflicts).
2. Disagreement resolution by the Vietnamese double-marking rule: ``disagreement`` (``resolve``,
   ``resolve_entry``).
3. Agreement statistics for the chief judge's report: ``agreement`` (``icc``,
   ``krippendorff_alpha``, ``judge_severity``).
4. Ranking with ties and advancement to the next round: ``ranking`` (``rank``, ``advance``).

``numbers`` holds how marks and scores are read (Decimals through ``str``), shared by 2–4.
"""

from contests.judging.rules.agreement import (
    AgreementReport,
    AgreementResult,
    Severity,
    agreement_report,
    icc,
    judge_severity,
    krippendorff_alpha,
)
from contests.judging.rules.assignment import (
    AssignmentInfeasible,
    AssignmentPlan,
    Shortfall,
    plan_assignment,
)
from contests.judging.rules.disagreement import (
    DEFAULT_RULES,
    DisagreementRules,
    EntryResolution,
    Outcome,
    Resolution,
    resolve,
    resolve_entry,
)
from contests.judging.rules.eligibility import (
    Conflict,
    Entry,
    Judge,
)
from contests.judging.rules.ranking import (
    Advancement,
    Ranked,
    RankMethod,
    advance,
    rank,
)
from contests.judging.rules.reassignment import (
    NoEligibleJudge,
    Pick,
    ReassignReason,
    pick_third_judge,
    reassign,
)

__all__ = [
    "DEFAULT_RULES",
    "Advancement",
    "AgreementReport",
    "AgreementResult",
    "AssignmentInfeasible",
    "AssignmentPlan",
    "Conflict",
    "DisagreementRules",
    "Entry",
    "EntryResolution",
    "Judge",
    "NoEligibleJudge",
    "Outcome",
    "Pick",
    "RankMethod",
    "Ranked",
    "ReassignReason",
    "Resolution",
    "Severity",
    "Shortfall",
    "advance",
    "agreement_report",
    "icc",
    "judge_severity",
    "krippendorff_alpha",
    "pick_third_judge",
    "plan_assignment",
    "rank",
    "reassign",
    "resolve",
    "resolve_entry",
]
