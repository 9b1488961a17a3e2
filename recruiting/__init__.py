"""Recruiting: openings, candidates, pipeline, aptitude tests by link, interviews, hiring."""
