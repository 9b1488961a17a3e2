"""Scorecards: the rep, team and leadership cards (web and PDF), month batches, delivery
by e-mail, and hiring-test validity."""
