"""Tickets: helpdesk exports and the API read into tickets, agents mapped to reps, SLA
targets, opening hours, and the month metrics computed from them."""
