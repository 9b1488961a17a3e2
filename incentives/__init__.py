"""Incentives: helpdesk ticket import, monthly metrics and scores, scorecards.

Three packages, each shaped like a module (face -> operations/queries -> rules + models):
``tickets`` (import, sources, metrics, agents, SLA targets and hours), ``scoring`` (plans,
month scores, close, disputes, payouts) and ``scorecards`` (cards, PDFs, batches, delivery,
validity). Arrows run scorecards -> scoring -> tickets, never back.
"""
