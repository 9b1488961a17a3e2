"""Scoring: incentive plans, each rep's month scored against them, month close, ticket
disputes and payouts."""
