"""Linking agents to reps: names compared as people read them, suggestions and the rows of
an agent-to-rep file (incentives/tickets/agent_matching.py)."""

from __future__ import annotations

import pytest

from incentives.tickets.agent_matching import (
    AgentCandidate,
    RepCandidate,
    SuggestionReason,
    agent_key,
    email_in,
    fingerprint,
    normalise_name,
    parse_agent_map,
    suggest,
)

REPS = [
    RepCandidate(1, "Isaac Ménsah", "isaac.m@example.com"),
    RepCandidate(2, "Ana Rep", "ana@example.com"),
    RepCandidate(3, "Kim Lee", "kim.one@example.com"),
    RepCandidate(4, "Kim  LEE", "kim.two@example.com"),
    RepCandidate(5, "Zoë O'Brien", "zoe@example.com"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Isaac Mensah", "isaac mensah"),
        ("isaac mensah", "isaac mensah"),
        ("Isaac Ménsah", "isaac mensah"),
        ("  ISAAC   MÉNSAH ", "isaac mensah"),
        ("isaac-mensah", "isaac mensah"),
        ("Zoë O'Brien", "zoe o brien"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_names_compare_without_case_accents_or_punctuation(text, expected) -> None:
    assert normalise_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("Ana Rep <Ana@Example.com>", "ana@example.com"),
        ("Ana Rep", None),
        ("a@example.com, b@example.com", None),  # two addresses: not one person's
    ],
)
def test_the_one_email_written_in_an_assignee(text, expected) -> None:
    assert email_in(text) == expected


def test_an_agent_key_is_the_key_the_import_gives() -> None:
    assert agent_key("  Isaac   Mensah ") == "isaac mensah"
    assert agent_key("Unassigned") is None
    assert agent_key("") is None


@pytest.mark.parametrize(
    ("label", "key", "rep_id", "reason"),
    [
        ("Isaac Mensah", "isaac mensah", 1, SuggestionReason.NAME),
        ("isaac mensah", "isaac mensah", 1, SuggestionReason.NAME),
        ("Isaac Ménsah", "isaac ménsah", 1, SuggestionReason.NAME),
        ("ISAAC.M@example.com", "isaac.m@example.com", 1, SuggestionReason.EMAIL),
        ("Someone <ana@example.com>", "someone <ana@example.com>", 2, "email"),
        ("Zoe OBrien", "zoe obrien", None, None),  # "obrien" is not "o brien"
        ("Zoe O Brien", "zoe o brien", 5, SuggestionReason.NAME),
        ("Kim Lee", "kim lee", None, None),  # two reps of that name: nobody is guessed
        ("Mystery Agent", "mystery agent", None, None),
    ],
)
def test_a_rep_is_suggested_by_email_then_by_one_same_name(
    label, key, rep_id, reason
) -> None:
    found = suggest([AgentCandidate(10, key, label)], REPS)
    if rep_id is None:
        assert found == []
    else:
        assert [(s.agent_id, s.rep_id, s.reason) for s in found] == [
            (10, rep_id, SuggestionReason(reason))
        ]


def test_an_email_match_beats_a_name_match() -> None:
    reps = [
        RepCandidate(1, "Ana Rep", "x@example.com"),
        RepCandidate(2, "B", "ana@b.c"),
    ]
    (found,) = suggest(
        [AgentCandidate(7, "ana rep <ana@b.c>", "Ana Rep <ana@b.c>")], reps
    )
    assert (found.rep_id, found.reason) == (2, SuggestionReason.EMAIL)


def test_the_fingerprint_names_which_agent_goes_to_which_rep() -> None:
    one = suggest([AgentCandidate(1, "ana rep", "Ana Rep")], REPS)
    same = suggest([AgentCandidate(1, "ana rep", "ANA REP")], REPS)
    other = suggest([AgentCandidate(2, "ana rep", "Ana Rep")], REPS)
    assert fingerprint(one) == fingerprint(same)
    assert fingerprint(one) != fingerprint(other)
    assert fingerprint([]) != fingerprint(one)


# --- an agent-to-rep file ----------------------------------------------------------------


def test_a_good_file_gives_one_row_per_agent() -> None:
    rows, errors = parse_agent_map(
        "agent,rep_email\r\n"
        "Isaac Mensah, Isaac.M@Example.com\r\n"
        "Support Bot,not a rep\r\n"
        "\r\n"
        "Isaac Mensah,isaac.m@example.com\r\n"  # the same row again: harmless
    )
    assert errors == []
    assert [(r.row, r.agent_key, r.rep_email) for r in rows] == [
        (2, "isaac mensah", "isaac.m@example.com"),
        (3, "support bot", None),
    ]


def test_header_names_are_read_loosely() -> None:
    rows, errors = parse_agent_map("Rep E-mail,Agent\na@b.co,Al\n")
    assert errors == []
    assert [(r.agent, r.rep_email) for r in rows] == [("Al", "a@b.co")]


@pytest.mark.parametrize(
    ("text", "row", "column", "reason"),
    [
        ("", 1, "", "the file is empty"),
        ("name,rep_email\nA,a@b.co\n", 1, "agent", "no 'agent' column"),
        ("agent,who\nA,a@b.co\n", 1, "rep_email", "no 'rep_email' column"),
        ("agent,rep_email\n", 2, "", "lists no agent"),
        ("agent,rep_email\nA,a@b.co\nB\n", 3, "", "1 cell where the header has 2"),
        ("agent,rep_email\nA,a@b.co,x\n", 2, "", "3 cells where the header has 2"),
        ("agent,rep_email\nA,\n", 2, "rep_email", "give the rep's login e-mail"),
        ("agent,rep_email\nA,Ana Rep\n", 2, "rep_email", "not an e-mail address"),
        ("agent,rep_email\nA,a@b.co\nUnassigned,a@b.co\n", 3, "agent", "no agent"),
        ("agent,rep_email\nA,a@b.co\na,c@d.co\n", 3, "agent", "already on row 2"),
        ('agent,rep_email\nA,a@b.co\n"B\rC",c@d.co\n', 3, "", "carriage return"),
        ('agent,rep_email\nA,a@b.co\n"B,c@d.co\n', 3, "", "not valid CSV"),
    ],
)
def test_each_bad_row_is_named(text, row, column, reason) -> None:
    rows, errors = parse_agent_map(text)
    assert all(r.row != row for r in rows)
    assert [(e.row, e.column) for e in errors] == [(row, column)]
    assert reason in errors[0].reason


def test_every_problem_of_a_file_is_listed() -> None:
    rows, errors = parse_agent_map("agent,rep_email\nA,\nB,x\nC,c@d.co\n,e@f.co\n")
    assert [e.row for e in errors] == [2, 3, 5]
    assert [r.agent for r in rows] == ["C"]  # read well, for the caller to check too
