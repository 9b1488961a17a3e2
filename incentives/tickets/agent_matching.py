"""Linking helpdesk agents to reps: names compared as people read them, suggestions, and
the rows of an agent-to-rep CSV file.

A helpdesk names an assignee by e-mail or by name, written however its admins typed it
("Isaac Mensah", "isaac mensah", "Isaac Ménsah"). :func:`normalise_name` compares names
without case, accents or punctuation; :func:`suggest` proposes, for each agent not yet
linked, the rep with the same e-mail, else the one rep with the same name (two reps of the
same name: no suggestion). :func:`parse_agent_map` reads a file of ``agent,rep_email``
rows, all or nothing, with row-numbered problems. Plain functions over plain data.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.tabular import RowError
from incentives.tickets.normalising import MAX_AGENT, NOBODY

#: The largest agent-to-rep file taken (about 20,000 rows): a helpdesk's agents, not tickets.
MAX_MAP_BYTES = 1_000_000
#: What a file's rep cell says for an agent who is nobody we reward (a bot, a team lead).
NOT_A_REP_WORDS = frozenset({"not a rep", "not-a-rep", "not_a_rep", "notarep"})
#: The header names taken for the two columns (compared as :func:`_header_name` gives).
AGENT_HEADERS = frozenset({"agent", "assignee", "agent name", "agent email"})
REP_HEADERS = frozenset({"rep email", "rep", "rep login", "email"})

_EMAIL = re.compile(r"[^\s<>@,;\"']+@[^\s<>@,;\"']+\.[^\s<>@,;\"']+")
_NOT_WORD = re.compile(r"[^\w]+|_")


class SuggestionReason(enum.StrEnum):
    """Why a rep is suggested for an agent."""

    EMAIL = "email"  # the agent's e-mail is the rep's login
    NAME = "name"  # the same name, leaving case, accents and punctuation aside

    @property
    def label(self) -> str:
        return "same e-mail" if self is SuggestionReason.EMAIL else "same name"


@dataclass(frozen=True)
class AgentCandidate:
    """An agent not linked to anyone: its id, key (as stored) and label (as exported)."""

    id: int
    key: str
    label: str


@dataclass(frozen=True)
class RepCandidate:
    """An active rep who could be an agent: id, name and login e-mail."""

    id: int
    name: str
    email: str


@dataclass(frozen=True)
class Suggestion:
    agent_id: int
    rep_id: int
    reason: SuggestionReason


def normalise_name(text: str) -> str:
    """A name as compared: accents dropped, case folded, punctuation and spacing collapsed.

    "Isaac Ménsah", "ISAAC  mensah" and "isaac-mensah" all give "isaac mensah".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", bare.casefold()).split())


def email_in(text: str) -> str | None:
    """The one e-mail address written in ``text`` ("Isaac <isaac@x.com>"), lower case."""
    found = {m.lower() for m in _EMAIL.findall(text)}
    return found.pop() if len(found) == 1 else None


def agent_key(text: str) -> str | None:
    """The key an import gives the assignee ``text`` (``None``: nobody), so a file's agent
    finds the agent its tickets were imported under."""
    label = " ".join(text.split())[:MAX_AGENT]
    key = label.casefold()[:MAX_AGENT]
    return None if key in NOBODY else key


def suggest(
    agents: Iterable[AgentCandidate], reps: Iterable[RepCandidate]
) -> list[Suggestion]:
    """The rep suggested for each agent that has one: the rep whose login is the agent's
    e-mail, else the only rep with the agent's name (see :func:`normalise_name`).

    :return: suggestions in the order the agents came.
    """
    by_email: dict[str, set[int]] = defaultdict(set)
    by_name: dict[str, set[int]] = defaultdict(set)
    for rep in reps:
        by_email[rep.email.strip().lower()].add(rep.id)
        name = normalise_name(rep.name)
        if name:
            by_name[name].add(rep.id)
    found = []
    for agent in agents:
        email = email_in(agent.key) or email_in(agent.label)
        if email and len(by_email.get(email, ())) == 1:
            (rep_id,) = by_email[email]
            found.append(Suggestion(agent.id, rep_id, SuggestionReason.EMAIL))
            continue
        name = normalise_name(_EMAIL.sub(" ", agent.label).strip(" <>"))
        if name and len(by_name.get(name, ())) == 1:
            (rep_id,) = by_name[name]
            found.append(Suggestion(agent.id, rep_id, SuggestionReason.NAME))
    return found


def fingerprint(suggestions: Iterable[Suggestion]) -> str:
    """A short digest of which agent goes to which rep: what a page showed, so accepting
    them all takes exactly those (a different digest: they changed in between)."""
    pairs = sorted((s.agent_id, s.rep_id) for s in suggestions)
    text = ";".join(f"{a}:{r}" for a, r in pairs)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- an agent-to-rep file ----------------------------------------------------------------


@dataclass(frozen=True)
class MapRow:
    """One row of an agent-to-rep file: ``rep_email`` ``None`` means "not a rep"."""

    row: int
    agent: str
    agent_key: str
    rep_email: str | None


def _header_name(text: str) -> str:
    return " ".join(text.strip().lower().replace("-", "").replace("_", " ").split())


def parse_agent_map(text: str) -> tuple[list[MapRow], list[RowError]]:
    """The rows of an agent-to-rep CSV file that read well, and every problem with it
    (row-numbered as a spreadsheet shows them: the header is row 1). Any problem rejects
    the whole file; the good rows let the caller check them too, so one report lists all.

    The file has an ``agent`` column (the assignee as the helpdesk exports it, name or
    e-mail) and a ``rep_email`` column (the rep's login e-mail, or "not a rep"). An agent
    listed twice for different reps is a problem; the same row twice is not.
    """
    if "\r" in text.replace("\r\n", "\n"):
        text = text.replace("\r\n", "\n")
        line = text[: text.index("\r")].count("\n") + 1
        return [], [
            RowError(line, "", "", "a bare carriage return (a line break) inside a row")
        ]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as e:
        return [], [RowError(reader.line_num, "", "", f"this is not valid CSV: {e}")]
    if not rows or not any(cell.strip() for cell in rows[0]):
        return [], [
            RowError(
                1, "", "", "the file is empty: it needs agent and rep_email columns"
            )
        ]
    header = [_header_name(h) for h in rows[0]]
    agent_col = _column(header, AGENT_HEADERS)
    rep_col = _column(header, REP_HEADERS)
    errors: list[RowError] = []
    if agent_col is None:
        errors.append(RowError(1, "agent", "", "no 'agent' column in the header"))
    if rep_col is None:
        errors.append(
            RowError(1, "rep_email", "", "no 'rep_email' column in the header")
        )
    if agent_col is None or rep_col is None:
        return [], errors
    found: list[MapRow] = []
    seen: dict[str, MapRow] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                RowError(
                    number,
                    "",
                    "",
                    f"{len(cells)} cell{'s' if len(cells) != 1 else ''} where the header "
                    f"has {len(header)}",
                )
            )
            continue
        row = _map_row(number, cells[agent_col], cells[rep_col], errors)
        if row is None:
            continue
        first = seen.get(row.agent_key)
        if first is None:
            seen[row.agent_key] = row
            found.append(row)
        elif first.rep_email != row.rep_email:
            errors.append(
                RowError(
                    number,
                    "agent",
                    row.agent,
                    f"already on row {first.row} with another rep",
                )
            )
    if not found and not errors:
        errors.append(RowError(2, "", "", "the file lists no agent"))
    return found, errors


def _column(header: Sequence[str], names: frozenset[str]) -> int | None:
    for index, name in enumerate(header):
        if name in names:
            return index
    return None


def _map_row(
    number: int, agent_cell: str, rep_cell: str, errors: list[RowError]
) -> MapRow | None:
    agent = " ".join(agent_cell.split())
    key = agent_key(agent)
    rep = " ".join(rep_cell.split())
    bad = len(errors)
    if key is None:
        errors.append(RowError(number, "agent", agent, "no agent named"))
    if not rep:
        errors.append(
            RowError(
                number, "rep_email", "", "give the rep's login e-mail or 'not a rep'"
            )
        )
    elif rep.lower() in NOT_A_REP_WORDS:
        rep = ""
    elif not _EMAIL.fullmatch(rep):
        errors.append(
            RowError(
                number,
                "rep_email",
                rep,
                "not an e-mail address (give the rep's login e-mail or 'not a rep')",
            )
        )
    if len(errors) > bad or key is None:
        return None
    return MapRow(number, agent, key, rep.lower() or None)
