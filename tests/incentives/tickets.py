"""Ticket records for ``operations.import_ticket_records`` in the incentives tests."""

from __future__ import annotations


def ticket(ticket_id: str, agent: str, solved: str | None, **extra) -> dict:
    """A chat ticket created on 4 March 2024 at 09:00 UTC (``channel=``, ``created=``
    change them), solved at ``solved``; any other field as given."""
    return {
        "ticket_id": ticket_id,
        "channel": extra.pop("channel", "chat"),
        "agent_email": agent,
        "created_at": extra.pop("created", "2024-03-04T09:00:00Z"),
        "solved_at": solved,
        **extra,
    }
