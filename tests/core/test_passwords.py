"""New passwords follow NIST SP 800-63B: long enough, and not one an attacker tries first.

The rule is one pure function (core.passwords.problems); every way of choosing a password
asks it: the account page, a password link, the admin's new-user form, the CLI.
"""

from __future__ import annotations

import pytest
from flask import Flask

from core import accounts, passwords
from core.access import Role
from core.db import db
from core.errors import InvalidInput
from core.people import User, get_user_by_email, verify_password
from tests.factories import make_user
from tests.helpers import post_form, text

RITA = {"email": "rita.rao@example.com", "name": "Rita Rao"}
TOO_SHORT = "Use at least 10 characters"
COMMON = "on a list of common and leaked passwords"
PERSONAL = "mostly your e-mail address, your name or the word Frontline"
PATTERN = "repeated or sequential pattern"


def reasons(password: str, **person: str) -> set[str]:
    found = " ".join(passwords.problems(password, **person))
    return {r for r in (TOO_SHORT, COMMON, PERSONAL, PATTERN) if r in found}


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        # length: at least 10, at most 256; spaces and any character count
        ("short", {TOO_SHORT}),
        ("nine char", {TOO_SHORT}),
        ("ten chars!", set()),
        ("Überfröhliche Bäume", set()),
        # on the shipped list of common and breached passwords, in any case
        ("password123", {COMMON}),
        ("PASSWORD123", {COMMON}),
        ("iloveyou12", {COMMON}),
        # ... dressed in l33t, or with digits and symbols around a listed word
        ("P@ssw0rd2024!", {COMMON}),
        ("sunshine2024", {COMMON}),
        ("!!monkey!!!", {COMMON}),
        # repeated or sequential characters, keyboard rows, short units repeated
        ("aaaaaaaaaa", {COMMON, PATTERN}),
        ("1234567890", {COMMON, PATTERN}),
        ("abcdefghij", {COMMON, PATTERN}),
        ("zyxwvutsrqpo", {PATTERN}),
        ("uiopasdfgh", {PATTERN}),
        ("aaaa1111bbbb", {PATTERN}),
        ("ab12ab12ab12", {PATTERN}),
        ("          ", {PATTERN}),
        ("1212121212", {COMMON, PATTERN}),
        ("7474747474", {PATTERN}),
        # the service's own name with only digits or symbols added
        ("frontline2024", {PERSONAL}),
        ("Fr0ntl1ne!!", {PERSONAL}),
        # fine: passphrases, and what the demo and the test suite use
        ("correct horse battery", set()),
        ("frontline-demo", set()),
        ("a brand new passphrase", set()),
        ("Tr0ub4dor&3 staple", set()),
        ("x" * 9 + "y" * 247, {PATTERN}),
    ],
)
def test_common_short_and_patterned_passwords_are_refused(
    password: str, expected: set[str]
) -> None:
    assert reasons(password) == expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("rita.rao@example.com", {PERSONAL}),
        ("RITA.RAO@EXAMPLE.COM", {PERSONAL}),
        ("rita.rao2024", {PERSONAL}),
        ("RitaRao1990!", {PERSONAL}),
        ("rao.rita.rao", {PERSONAL}),
        ("r1ta-r4o-2024", {PERSONAL}),
        ("example12345", {PERSONAL}),
        # the name inside a real passphrase is fine
        ("rita likes purple bicycles", set()),
        ("margarita at noon", set()),
    ],
)
def test_the_persons_email_and_name_are_refused(password: str, expected: set) -> None:
    assert reasons(password, **RITA) == expected
    assert reasons(password) == expected - {PERSONAL}


def test_names_match_without_accents() -> None:
    person = {"email": "chloe.martin@example.com", "name": "Chloé Martin"}
    assert reasons("Chloé Martin 2024", **person) == {PERSONAL}
    assert reasons("CHLOEMARTIN!!", **person) == {PERSONAL}


def test_length_is_counted_in_characters_and_256_are_allowed() -> None:
    assert passwords.problems("𝄞𝄢𝄪𝄫🎵🎶🎷🎸🎹🎺") == []  # ten characters, forty bytes
    allowed = "correct horse battery staple " * 8 + "x" * 24
    assert len(allowed) == passwords.MAX_LENGTH
    assert passwords.problems(allowed) == []
    assert passwords.problems(allowed + "y") == [
        "Use at most 256 characters (this one has 257)."
    ]


def test_each_message_says_why_and_what_to_do() -> None:
    [message] = passwords.problems("short")
    assert message == (
        "Use at least 10 characters (this one has 5). "
        "A few unrelated words make a long password that is easy to remember."
    )
    for password in ("password123", "rita.rao2024", "aaaa1111bbbb"):
        [message] = passwords.problems(password, **RITA)
        assert "Choose" in message


def test_the_block_list_ships_with_the_app() -> None:
    listed = passwords.common_passwords()
    assert len(listed) > 19_000
    assert {"password", "123456", "qwertyuiop"} <= listed
    assert passwords.common_passwords() is listed  # read once


# --- every way of choosing a password asks the rule ---------------------------------


@pytest.fixture
def rita(seed) -> User:
    with seed():
        return make_user(Role.REP, password="correct horse battery", **RITA)


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [
        ("aaaaaaaaaa", PATTERN),
        ("1234567890", COMMON),
        ("rita.rao@example.com", PERSONAL),
        ("password123", COMMON),
    ],
)
def test_the_account_page_refuses_a_weak_new_password(
    app: Flask, client, login_as, rita: User, new_password: str, reason: str
) -> None:
    login_as(rita)
    response = post_form(
        client,
        "/auth/account",
        {
            "current_password": "correct horse battery",
            "new_password": new_password,
            "confirm": new_password,
        },
        token_from="/auth/account",
    )
    assert response.status_code == 200
    assert reason in text(response)
    with app.app_context():
        user = db.session.get(User, rita.id)
        assert verify_password(user.password_hash, "correct horse battery")


def test_a_password_link_refuses_the_users_own_email(
    app: Flask, client, rita: User
) -> None:
    with app.app_context():
        token = accounts.make_password_token(db.session.get(User, rita.id))
    url = f"/auth/set-password/{token}"
    response = post_form(
        client,
        url,
        {"new_password": "Rita.Rao@example.com", "confirm": "Rita.Rao@example.com"},
        token_from=url,
    )
    assert response.status_code == 200
    assert PERSONAL in text(response)
    assert client.get("/").status_code == 302  # not logged in
    response = post_form(
        client,
        url,
        {"new_password": "rita likes bicycles", "confirm": "rita likes bicycles"},
        token_from=url,
    )
    assert response.status_code == 302


def test_the_admin_cannot_give_a_new_user_their_own_name_as_password(
    app: Flask, client, login_as, seed
) -> None:
    with seed():
        admin = make_user(Role.ADMIN, name="Ada Admin")
    login_as(admin)
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Sam Smith",
            "email": "sam@example.com",
            "roles": ["rep"],
            "team_id": "0",
            "access": "password",
            "password": "SamSmith2024",
        },
        token_from="/admin/users/new",
    )
    assert response.status_code == 200
    assert PERSONAL in text(response)
    with app.app_context():
        assert get_user_by_email("sam@example.com") is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [("abcdefghij", COMMON), ("lee.lead2024", PERSONAL)],
)
def test_users_create_on_the_command_line_refuses_a_weak_password(
    app: Flask, runner, password: str, reason: str
) -> None:
    result = runner.invoke(
        args=[
            *("users", "create", "lee.lead@example.com", "--role", "rep"),
            *("--password", password),
        ]
    )
    assert result.exit_code != 0
    assert reason in result.output
    with app.app_context():
        assert get_user_by_email("lee.lead@example.com") is None


def test_demo_refuses_a_common_password(runner) -> None:
    result = runner.invoke(args=["demo", "--password", "password123"])
    assert result.exit_code != 0
    assert COMMON in result.output


@pytest.mark.usefixtures("app_ctx")
def test_the_operations_refuse_a_weak_password_whoever_calls_them() -> None:
    user = make_user(Role.REP, password="correct horse battery", **RITA)
    with pytest.raises(InvalidInput) as refused:
        accounts.set_password(user, "rita.rao1234", by=user)
    assert PERSONAL in refused.value.errors["password"][0]
    assert verify_password(user.password_hash, "correct horse battery")
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(
            accounts.UserInput("new@example.com", "New Person", frozenset({Role.REP})),
            by="test",
            password="qwertyuiop",
        )
    assert COMMON in refused.value.errors["password"][0]
