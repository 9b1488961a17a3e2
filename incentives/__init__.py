"""Incentives: helpdesk ticket import, monthly metrics and scores, scorecards."""
