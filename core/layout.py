"""The shape of the code, written down once: which modules hold the pure rules.

A rules module is plain functions over plain data: the decisions, with no Flask, no
Werkzeug, no SQLAlchemy ORM, no database session and no models, not even indirectly
through what it imports. ``tests/test_layering.py`` imports each one in a fresh interpreter
to check; ``tests/unit/`` tests them without the app; docs/architecture.md points here.
Add a module here when you write a new one.
"""

from __future__ import annotations

#: The pure rules modules, as paths from the repository root.
RULES_MODULES: tuple[str, ...] = (
    # core: who sees whose records, what a password may be, CSV and YAML helpers, numbers
    # in words
    "core/access.py",
    "core/passwords.py",
    "core/tabular.py",
    "core/untrusted_yaml.py",
    "core/words.py",
    # recruiting: tests and their scoring, candidate CSV rows, item statistics, stages
    "recruiting/assessment.py",
    "recruiting/importing.py",
    "recruiting/item_statistics.py",
    "recruiting/pipeline.py",
    # training: scenarios, authority, assignments
    "training/assignments.py",
    "training/authority.py",
    "training/completion.py",
    "training/notices.py",
    "training/placeholders.py",
    "training/scenarios.py",
    # incentives/tickets: reading exports, the clock, month metrics, matching agents
    "incentives/tickets/agent_matching.py",
    "incentives/tickets/arrow_reading.py",
    "incentives/tickets/cells.py",
    "incentives/tickets/clock.py",
    "incentives/tickets/columnar.py",
    "incentives/tickets/import_notes.py",
    "incentives/tickets/importing.py",
    "incentives/tickets/mapping.py",
    "incentives/tickets/mapping_suggest.py",
    "incentives/tickets/metrics.py",
    "incentives/tickets/months.py",
    "incentives/tickets/normalising.py",
    "incentives/tickets/row_shapes.py",
    "incentives/tickets/source_spec.py",
    "incentives/tickets/sources.py",
    "incentives/tickets/vendor_records.py",
    # incentives/scoring: plans, a rep's month against them, disputes, score tables
    "incentives/scoring/disputes.py",
    "incentives/scoring/payouts.py",
    "incentives/scoring/plan_calendar.py",
    "incentives/scoring/plan_words.py",
    "incentives/scoring/plans.py",
    "incentives/scoring/plan_metrics.py",
    "incentives/scoring/rep_scores.py",
    "incentives/scoring/score_data.py",
    "incentives/scoring/tables.py",
    # incentives/scorecards: the cards as plain data, validity, laying out PDFs
    "incentives/scorecards/cards.py",
    "incentives/scorecards/leadership.py",
    "incentives/scorecards/next_steps.py",
    "incentives/scorecards/pdf_batch.py",
    "incentives/scorecards/rep_card.py",
    "incentives/scorecards/team_card.py",
    "incentives/scorecards/validity.py",
    # quality: rubrics and review scores, the monthly sample, a review's life, calibration,
    # coaching
    "quality/calibration.py",
    "quality/coaching.py",
    "quality/reviews.py",
    "quality/rubrics.py",
    "quality/sampling.py",
    # voice: who answers now, a report's moves, similar reports, the reaction measured,
    # the month, policy impact reviews, ideas and their triage
    "voice/department_files.py",
    "voice/ideas.py",
    "voice/monthly.py",
    "voice/policies.py",
    "voice/reach.py",
    "voice/reaction.py",
    "voice/similarity.py",
    "voice/workflow.py",
)

#: What a rules module must not load, directly or through anything it imports.
FORBIDDEN_IN_RULES: tuple[str, ...] = ("flask", "werkzeug", "sqlalchemy.orm")


def module_name(path: str) -> str:
    """The dotted module name of a path from the repository root: ``core/access.py``
    is ``core.access``."""
    return path.removesuffix(".py").replace("/", ".")
