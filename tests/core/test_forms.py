"""The drop-down list every form uses: the same options as WTForms' own, written faster;
and the one that picks a record by id from a query string."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from core.forms import OptionList, RecordSelectField, SelectField


class _Options(HTMLParser):
    """Each element's tag, attributes (sorted) and text, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, tuple[tuple[str, str | None], ...], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, tuple(sorted(attrs)), ""))

    def handle_data(self, data: str) -> None:
        tag, attrs, text = self.found[-1]
        self.found[-1] = (tag, attrs, text + data)


def _parsed(html: str) -> list[tuple[str, tuple[tuple[str, str | None], ...], str]]:
    parser = _Options()
    parser.feed(html)
    return parser.found


class _RepForm(Form):
    rep = SelectField("Rep", coerce=int)
    mood = SelectField("Mood")


TRICKY = [
    (1, "Ann <b>Lee</b>"),
    (2, 'O"Brien & Sons'),
    (3, "Zoë 'Z' Müller"),
    (4, ""),
]


def test_the_options_are_those_wtforms_writes() -> None:
    form = _RepForm(data={"rep": 3})
    form.rep.choices = TRICKY
    ours = str(form.rep())
    theirs = str(Select()(form.rep))
    assert _parsed(ours) == _parsed(theirs)
    assert _parsed(ours)[3] == (
        "option",
        (("selected", None), ("value", "3")),
        "Zoë 'Z' Müller",
    )
    # An empty label shows the value, as WTForms does.
    assert _parsed(ours)[4] == ("option", (("value", "4"),), "4")


def test_names_and_values_are_escaped() -> None:
    form = _RepForm(data={"mood": "<script>"})
    form.mood.choices = [("<script>", "<script>alert(1)</script>"), ('a"b', "fine")]
    html = str(form.mood())
    assert "<script>" not in html
    assert (
        '<option value="&lt;script&gt;" selected>&lt;script&gt;alert(1)&lt;/script&gt;</option>'
        in html
    )
    assert 'value="a&#34;b"' in html


def test_an_option_with_attributes_of_its_own_goes_the_general_way() -> None:
    form = _RepForm(data={"mood": "b"})
    form.mood.choices = [
        SelectChoice("a", "Calm", render_kw={"disabled": True}),
        SelectChoice("b", "Busy"),
    ]
    html = str(form.mood())
    assert _parsed(html) == _parsed(str(Select()(form.mood)))
    assert ("option", (("disabled", None), ("value", "a")), "Calm") in _parsed(html)
    assert isinstance(form.mood.widget, OptionList)


class _FilterForm(Form):
    opening = RecordSelectField("Opening", validate_choice=False)


@pytest.mark.parametrize(
    ("value", "data", "errors"),
    [
        ("7", 7, []),
        ("0", 0, []),
        ("", None, []),
        ("2147483647", 2147483647, []),
        ("2147483648", None, ["Pick one from the list."]),
        ("99999999999999999999", None, ["Pick one from the list."]),
        ("-1", None, ["Pick one from the list."]),
        ("seven", None, ["Pick one from the list."]),
    ],
)
def test_a_record_picked_by_id_is_one_a_record_can_have_or_none(
    value: str, data: int | None, errors: list[str]
) -> None:
    form = _FilterForm(MultiDict({"opening": value}))
    form.opening.choices = [(0, "Any opening"), (7, "Night shift")]
    form.validate()
    assert (form.opening.data, form.opening.errors) == (data, errors)
