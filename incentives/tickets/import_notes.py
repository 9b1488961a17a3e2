"""What an import tells before its figures are trusted: tickets without a solve time or
an agent, tickets in closed months, a file imported before, agents never seen before.

PURE: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from incentives.tickets.metrics import month_label

#: Agents named in full in a warning; the rest are counted.
AGENTS_NAMED = 10


def plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def import_warnings(
    *,
    unsolved: int,
    unassigned: int,
    new_agents: Sequence[str],
    new_linked: int = 0,
    closed_months: Mapping[str, int],
    earlier: tuple[int, str] | None,
) -> list[str]:
    """What an import (or a check) should tell before the month's figures are trusted.

    :param unsolved: tickets without a solve time (they count in no month).
    :param unassigned: tickets without an agent (they count for no rep).
    :param new_agents: agents never seen before, as exported.
    :param new_linked: how many of them were linked to a rep at once (by e-mail).
    :param closed_months: closed months the new or changed tickets fall in, with counts.
    :param earlier: (import number, date) of an earlier import of the very same file.
    """
    warnings = []
    if earlier is not None:
        number, on = earlier
        warnings.append(
            f"This same file was imported before (import {number}, {on}): importing "
            "it again changes only what was changed here since."
        )
    if unsolved:
        they = "it counts" if unsolved == 1 else "they count"
        warnings.append(
            f"{plural(unsolved, 'ticket has', 'tickets have')} no solve time: "
            f"{they} in no month's figures until an import gives "
            f"{'it' if unsolved == 1 else 'them'} one."
        )
    if unassigned:
        they = "it counts" if unassigned == 1 else "they count"
        warnings.append(
            f"{plural(unassigned, 'ticket has', 'tickets have')} no agent: {they} "
            "for the group and the organisation, not for any rep."
        )
    if new_agents:
        warnings.append(_new_agents_warning(new_agents, new_linked))
    warnings.extend(closed_month_notes(closed_months))
    return warnings


def _new_agents_warning(new_agents: Sequence[str], linked: int) -> str:
    count = len(new_agents)
    more = count - AGENTS_NAMED
    named = ", ".join(new_agents[:AGENTS_NAMED]) + (
        f" and {more:,} more" if more > 0 else ""
    )
    text = f"{plural(count, 'agent appears', 'agents appear')} for the first time: {named}."
    unlinked = count - linked
    if unlinked == 0:
        return text + (
            " It was linked to a rep by e-mail."
            if count == 1
            else " All were linked to reps by e-mail."
        )
    if count == 1:
        return text + (
            " Not linked to a rep yet: link it on Incentives > Agents, or its tickets "
            "count for no rep."
        )
    return text + (
        f" {unlinked:,} of them {'is' if unlinked == 1 else 'are'} not linked to a rep "
        "yet: link them on Incentives > Agents, or their tickets count for no rep."
    )


def closed_month_notes(counts: Mapping[str, int]) -> list[str]:
    """What an import says of its tickets that fall in closed months."""
    notes = []
    for month, count in sorted(counts.items()):
        tickets, fall = ("ticket", "falls") if count == 1 else ("tickets", "fall")
        notes.append(
            f"{count} {tickets} of this import {fall} in {month_label(month)}, "
            "which is closed: its scores and payouts are unchanged (reopen the month "
            "to take them in)."
        )
    return notes
