"""Reading a departments file: the shape, the values, every problem by department."""

from __future__ import annotations

import pytest

from voice.department_files import DepartmentFileError, read_departments

GOOD = """
departments:
  - name: Logistics
    description: Warehouses and carriers.
    owner: Sam@Example.com
    deputies: [nadia@example.com]
    ack_target_hours: 8
    rota:
      - Mon-Fri 08:00-18:00 | Sam Patel | +44 20 7946 0101
  - name: Legal
"""


def test_a_good_file() -> None:
    logistics, legal = read_departments(GOOD)
    assert logistics.owner == "sam@example.com"
    assert logistics.deputies == ("nadia@example.com",)
    assert logistics.ack_target_hours == 8
    assert logistics.rota_text == "Mon-Fri 08:00-18:00 | Sam Patel | +44 20 7946 0101"
    assert (legal.owner, legal.ack_target_hours, legal.active, legal.rota_text) == (
        None,
        24,
        True,
        "",
    )


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("departments: [", ["The file is not valid YAML (line 1)."]),
        ("teams: []", ["The file needs a list under departments:."]),
        (
            "departments:\n  - just a name",
            ["Department 1: write name:, owner:, rota: and so on."],
        ),
        (
            "departments:\n  - name: A\n    ack_target_hours: 0\n    colour: red",
            [
                "Department 1 (A): unknown key colour (use ack_target_hours, active, "
                "deputies, description, members, name, owner, rota).",
                "Department 1 (A): ack_target_hours is a whole number of hours from 1 to 720.",
            ],
        ),
        (
            "departments:\n  - name: A\n  - name: a\n  - description: x",
            [
                "Department 2 (a): the file names this department twice.",
                "Department 3: give the department a name.",
            ],
        ),
        (
            "departments:\n  - name: A\n    rota: ['Mon 9-5 | Sam | 1']",
            ["Department 1 (A): rota line 1: '9' is not a time like 09:00."],
        ),
    ],
)
def test_every_problem_is_named(text: str, errors: list[str]) -> None:
    with pytest.raises(DepartmentFileError) as caught:
        read_departments(text)
    assert caught.value.errors == errors
