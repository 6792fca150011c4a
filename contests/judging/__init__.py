"""Blind judging of writing-contest entries: rubrics, assignment, marking, resolution, results.

``rules`` holds the pure rules engine (no database, no Flask): balanced conflict-free assignment
of judges, the Vietnamese double-marking rule for disagreements, agreement statistics and
ranking with advancement. The package's services call it with plain ids and store the outcome.
"""
