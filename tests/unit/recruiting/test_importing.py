"""Reading candidate CSVs: good rows, and every bad row named with its number."""

from __future__ import annotations

import datetime as dt

import pytest

from recruiting.importing import CandidateRow, parse_candidates


def test_good_rows_are_read_and_cleaned() -> None:
    text = (
        "Name,E-mail,Phone,Source,Notes,Consent date\n"
        " Ana Silva , ANA@Example.com ,+351 912 345 678,Job board,,2026-03-01\n"
        "\n"
        "Bo Chen,bo@example.com,,,Speaks Mandarin,\n"
    )
    rows, errors = parse_candidates(text)
    assert errors == []
    assert rows == [
        CandidateRow(
            row=2,
            name="Ana Silva",
            email="ana@example.com",
            phone="+351 912 345 678",
            source="Job board",
            consent_on=dt.date(2026, 3, 1),
        ),
        CandidateRow(
            row=4, name="Bo Chen", email="bo@example.com", notes="Speaks Mandarin"
        ),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "", "The file is empty")]),
        ("name,phone\nAna,1\n", [(1, "email", "A required column is missing.")]),
        ("name,email,age\n", [(1, "age", "Unknown column")]),
        ("name,email,email\n", [(1, "email", "This column appears twice.")]),
        ("name,email\n", [(2, "", "The file has a header but no candidates.")]),
        (
            "name,email\nAna,not-an-email\n,bo@example.com\nCy,cy@example.com,extra\n",
            [
                (2, "email", "Not a valid e-mail address."),
                (3, "name", "Required."),
                (4, "", "3 cells, but the header names 2."),
            ],
        ),
        (
            "name,email,consent_date\nAna,ana@example.com,01/03/2026\n",
            [(2, "consent_date", "Use a date like 2026-03-31.")],
        ),
        (
            "name,email\n" + "A" * 121 + ",a@example.com\n",
            [(2, "name", "Longer than 120 characters.")],
        ),
    ],
)
def test_bad_files_report_each_problem_by_row(text, expected) -> None:
    _rows, errors = parse_candidates(text)
    assert [(e.row, e.column) for e in errors] == [(r, c) for r, c, _ in expected]
    for error, (_, _, reason) in zip(errors, expected, strict=True):
        assert reason in error.reason


def test_a_file_over_the_row_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setattr("recruiting.importing.MAX_ROWS", 2)
    text = "name,email\n" + "".join(f"P{n},p{n}@example.com\n" for n in range(3))
    _rows, errors = parse_candidates(text)
    assert [(e.row, e.reason) for e in errors] == [
        (4, "Import at most 2 rows at a time.")
    ]
