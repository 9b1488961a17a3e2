"""Each helpdesk's export as it comes: the shipped example files and each tool's quirks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from incentives.tickets.importing import parse_file
from incentives.tickets.sources import SPECS, ZENDESK, Source

EXPORTS = Path(__file__).parents[2] / "incentives" / "data" / "exports"
UTC = ZoneInfo("UTC")
NOW = dt.datetime(2024, 4, 15, tzinfo=dt.UTC)


def parse(text: str, spec=ZENDESK):
    return parse_file(text.encode(), spec, tz=UTC, now=NOW)


def example(name: str, source: str | None = None):
    return parse_file(
        (EXPORTS / f"{name}.csv").read_bytes(),
        SPECS[Source(source or name)],
        tz=UTC,
        now=NOW,
    )


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- Zendesk -----------------------------------------------------------------------------


def test_zendesk_example_group_only_scores_placeholders_and_business_hours() -> None:
    parsed = example("zendesk")
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 12
    # no Assignee column: group-only tickets, counted for no rep, and said so
    assert t["agent_key"].isna().all()
    assert t.loc["4101", "group_name"] == "Billing"
    assert any("no assignee column" in n for n in parsed.notes)
    # 1-5 scores with Offered/Unoffered: 4 and 5 satisfied, told in the notes
    assert list(t.loc[["4101", "4102", "4104", "4108", "4109"], "satisfied"]) == [
        1,
        1,
        0,
        0,
        0,
    ]
    assert np.isnan(t.loc["4103", "satisfied"])  # Offered
    assert np.isnan(t.loc["4105", "satisfied"])  # Unoffered
    assert any("read as a 1-5 score: 4 and 5 count" in n for n in parsed.notes)
    # 1900-01-01 00:00:00 is "not solved"
    assert pd.isna(t.loc["4105", "solved_at"])
    assert t.loc["4101", "solved_at"] == utc("2024-03-04 15:40")
    # business-hours durations only
    assert t.loc["4110", "first_response_min_business"] == 210
    assert t.loc["4110", "resolution_min_business"] == 930
    assert t["first_response_min_calendar"].isna().all()


@pytest.mark.parametrize(
    ("scores", "scale", "satisfied"),
    [
        (["1", "5", "3"], "1-5", [0, 1, 0]),
        (["4", "2", "4.0"], "1-5", [1, 0, 1]),
        (["0", "10", "9", "8"], "0-10", [0, 1, 1, 0]),
        (["7", "3", "9"], "0-10", [0, 0, 1]),
    ],
)
def test_zendesk_numeric_scale_is_read_from_the_values(
    scores, scale, satisfied
) -> None:
    lines = ["Id,Created at,Satisfaction Score"]
    lines += [f"{i},2024-03-01 10:00,{s}" for i, s in enumerate(scores)]
    lines.append("99,2024-03-01 10:00,Offered")
    parsed = parse("\n".join(lines) + "\n")
    assert parsed.ok, parsed.errors
    assert list(parsed.tickets["satisfied"].iloc[:-1]) == satisfied
    assert np.isnan(parsed.tickets["satisfied"].iloc[-1])
    assert any(f"read as a {scale} score" in n for n in parsed.notes)


def test_zendesk_good_and_bad_need_no_scale_note() -> None:
    parsed = parse("Id,Created at,Satisfaction Score\n1,2024-03-01 10:00,Good\n")
    assert parsed.ok
    assert not any("score" in n for n in parsed.notes)


@pytest.mark.parametrize("score", ["11", "2.5", "Great", "1e1", "-0", "inf", "+4"])
def test_a_satisfaction_off_every_zendesk_scale_points_to_the_way_out(score) -> None:
    parsed = parse(
        f"Id,Created at,Satisfaction Score\n1,2024-03-01 10:00,4\n2,2024-03-01 10:00,{score}\n"
    )
    assert not parsed.ok
    [error] = parsed.errors
    assert (error.row, error.column, error.value) == (3, "Satisfaction Score", score)
    assert error.reason.startswith(
        "not a satisfaction rating this source uses "
        "(Good, Bad, Offered, Unoffered, or a score 1-5 or 0-10)"
    )
    assert "import the file as 'mapped'" in error.reason
    assert "satisfied_from" in error.reason


# --- ServiceNow --------------------------------------------------------------------------


def test_servicenow_incident_export_day_first_dates_and_question_marks() -> None:
    parsed = example("servicenow")
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 12
    # dd-mm-yyyy hh:mm:ss, day first
    assert t.loc["INC0010001", "created_at"] == utc("2024-03-04 08:12:45")
    assert t.loc["INC0010002", "solved_at"] == utc("2024-03-05 10:15")
    # "?" is null everywhere: no agent called "?", no group "?", no date
    assert "?" not in set(t["agent_key"].dropna()) | set(t["group_name"].dropna())
    assert pd.isna(t.loc["INC0010004", "agent_key"])
    assert pd.isna(t.loc["INC0010012", "group_name"])
    assert pd.isna(t.loc["INC0010004", "solved_at"])
    assert t.loc["INC0010001", "agent_label"] == "Isaac Mensah"
    assert t.loc["INC0010005", "priority"] == "urgent"  # 1 - Critical
    assert t.loc["INC0010008", "priority"] == "low"  # 5 - Planning
    assert t.loc["INC0010006", "channel"] == "web"  # Self-service
    assert t.loc["INC0010011", "reopens"] == 2
    # made_sla is the helpdesk's own SLA outcome; "?" is none given
    assert t.loc["INC0010001", "sla_met"] == 1.0
    assert t.loc["INC0010005", "sla_met"] == 0.0
    assert pd.isna(t.loc["INC0010007", "sla_met"])
    assert not any("made_sla" in n for n in parsed.notes)


def test_servicenow_event_log_keeps_the_last_update_of_each_incident() -> None:
    parsed = example("servicenow_event_log", "servicenow")
    assert parsed.ok, parsed.errors
    assert parsed.rows == 12
    t = parsed.tickets.set_index("external_id")
    assert sorted(t.index) == ["INC0000045", "INC0000047", "INC0000057", "INC0000060"]
    # INC0000045's last update (sys_mod_count 3) is not the file's last line of it
    assert t.loc["INC0000045", "solved_at"] == utc("2024-02-29 11:29")
    assert t.loc["INC0000047", "group_name"] == "Group 24"  # reassigned
    assert t.loc["INC0000047", "agent_key"] == "resolver 31"
    assert pd.isna(t.loc["INC0000057", "agent_key"])
    assert t.loc["INC0000060", "reopens"] == 1
    assert any("event log (12 rows for 4 tickets)" in n for n in parsed.notes)


def test_an_event_log_without_update_counts_keeps_the_files_last_row() -> None:
    parsed = parse(
        "number,opened_at,assigned_to,resolved_at\n"
        "INC1,01-03-2024 10:00:00,?,?\n"
        "INC2,01-03-2024 11:00:00,Ann Lee,?\n"
        "INC1,01-03-2024 10:00:00,Bo Chen,02-03-2024 09:00:00\n",
        SPECS[Source.SERVICENOW],
    )
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert t.loc["INC1", "agent_key"] == "bo chen"
    assert t.loc["INC1", "solved_at"] == utc("2024-03-02 09:00")


def test_a_servicenow_table_export_has_no_event_log_note() -> None:
    parsed = parse(
        "number,opened_at\nINC1,13-03-2024 10:00:00\n", SPECS[Source.SERVICENOW]
    )
    assert parsed.ok
    assert parsed.notes == [
        "The file has no assignee column: every ticket is imported as unassigned "
        "(it counts for its group and the organisation, not for a rep)."
    ]


def test_other_sources_still_refuse_a_repeated_ticket_id() -> None:
    parsed = parse("Id,Created at\n1,2024-03-01 10:00\n1,2024-03-01 11:00\n")
    assert [e.reason for e in parsed.errors] == ["ticket id already on row 2"]


# --- Salesforce --------------------------------------------------------------------------


def test_salesforce_case_report_with_labels_and_locale_dates() -> None:
    parsed = example("salesforce")
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 12
    assert "00001027" in t.index  # leading zeros kept
    assert t.loc["00001027", "agent_label"] == "Hana Suzuki"
    assert t.loc["00001027", "created_at"] == utc("2024-03-04 09:12")
    assert t.loc["00001035", "solved_at"] == utc("2024-03-13 09:40")  # day first
    assert pd.isna(t.loc["00001030", "solved_at"])
    assert t.loc["00001029", "channel"] == "phone"
    assert t.loc["00001028", "channel"] == "web"
    assert t.loc["00001027", "priority"] == "normal"  # Medium


def test_salesforce_data_export_with_api_names() -> None:
    parsed = parse(
        "Id,CaseNumber,OwnerId,Origin,Priority,IsClosed,CreatedDate,ClosedDate\n"
        "5003000000D8cuI,00001001,0053000000AbCdE,Phone,High,true,"
        "2024-03-04T09:12:00.000Z,2024-03-04T10:00:00.000Z\n"
        "5003000000D8cuJ,00001002,0053000000AbCdE,Email,Low,false,"
        "2024-03-05T09:12:00.000Z,\n",
        SPECS[Source.SALESFORCE],
    )
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert list(t.index) == ["00001001", "00001002"]
    assert t.loc["00001001", "agent_key"] == "0053000000abcde"
    assert t.loc["00001001", "solved_at"] == utc("2024-03-04 10:00")
    assert pd.isna(t.loc["00001002", "solved_at"])


# --- Intercom ----------------------------------------------------------------------------


def test_intercom_report_times_in_the_zone_its_headers_name() -> None:
    parsed = example("intercom")
    assert parsed.ok, parsed.errors
    assert any("read in Europe/Berlin" in n for n in parsed.notes)
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 12
    # 09:12 in Berlin (UTC+1 in March)
    assert t.loc["215483920011", "created_at"] == utc("2024-03-04 08:12")
    assert t.loc["215483920011", "first_response_at"] == utc("2024-03-04 08:14:30")
    # the last close wins over the first (reopened)
    assert t.loc["215483920013", "solved_at"] == utc("2024-03-06 07:00")
    assert pd.isna(t.loc["215483920018", "solved_at"])  # snoozed
    # durations in seconds, on both clocks
    assert t.loc["215483920012", "first_response_min_calendar"] == 657
    assert t.loc["215483920012", "first_response_min_business"] == 2
    assert t.loc["215483920013", "resolution_min_business"] == 360
    # ratings 1-5: 4 and 5 satisfied
    assert t.loc["215483920011", "satisfied"] == 1
    assert t.loc["215483920016", "satisfied"] == 0
    assert np.isnan(t.loc["215483920017", "satisfied"])
    assert t.loc["215483920013", "priority"] == "high"
    assert t.loc["215483920015", "channel"] == "chat"  # WhatsApp
    assert t.loc["215483920019", "channel"] == "social"  # Facebook
    assert pd.isna(t.loc["215483920014", "agent_key"])
    assert t.loc["215483920015", "group_name"] == "VIP"


def test_intercom_headers_without_a_zone_are_read_in_the_organisations() -> None:
    parsed = parse_file(
        b"Conversation ID,Conversation started at,Teammate currently assigned\n"
        b"1,2024-03-04 09:12:00,Ann Lee\n",
        SPECS[Source.INTERCOM],
        tz=ZoneInfo("Europe/Berlin"),
        now=NOW,
    )
    assert parsed.ok, parsed.errors
    assert parsed.tickets["created_at"].iloc[0] == utc("2024-03-04 08:12")
    assert not any("time zone" in n for n in parsed.notes)


# --- Freshdesk ---------------------------------------------------------------------------


def test_freshdesk_example_resolved_else_closed_and_survey_words() -> None:
    parsed = example("freshdesk")
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 12
    assert t.loc["3103", "solved_at"] == utc("2024-03-05 08:55")  # Closed time
    assert pd.isna(t.loc["3107", "solved_at"])  # pending
    assert t.loc["3105", "first_response_min_business"] == 90  # 01:30
    assert t.loc["3101", "resolution_min_business"] == pytest.approx(388.2)  # 6.47 h
    assert list(t.loc[["3101", "3102", "3105", "3109", "3112"], "satisfied"]) == [
        1,
        1,
        0,
        0,
        0,
    ]
    assert t.loc["3107", "channel"] == "email"  # Outbound Email
    assert t.loc["3111", "channel"] == "web"  # Feedback Widget
    assert pd.isna(t.loc["3105", "agent_key"])


# --- Help Scout --------------------------------------------------------------------------


def test_helpscout_conversations_export_ratings_types_and_utc_times() -> None:
    parsed = example("helpscout")
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 24
    # the conversation id, not the number shown in the mailbox
    assert "2391938101" in t.index
    # ISO times with Z: UTC whatever the organisation's zone
    assert t.loc["2391938101", "created_at"] == utc("2024-03-04 09:12")
    assert t.loc["2391938101", "first_response_at"] == utc("2024-03-04 09:50")
    assert t.loc["2391938101", "solved_at"] == utc("2024-03-04 15:40")
    # active and pending conversations have no Closed At: not solved
    assert t["solved_at"].isna().sum() == 5
    assert pd.isna(t.loc["2391938129", "solved_at"])  # active, unassigned
    assert pd.isna(t.loc["2391938129", "agent_key"])
    assert t["agent_key"].isna().sum() == 4
    assert t.loc["2391938101", "agent_label"] == "Priya Raman"
    assert t.loc["2391938108", "agent_label"] == "Tomás Silva"
    assert t.loc["2391938115", "group_name"] == "Billing"  # the mailbox
    # Type: email, chat or phone
    assert dict(t["channel"].value_counts()) == {"email": 13, "chat": 7, "phone": 4}
    assert set(t["priority"].astype(str)) == {"normal"}  # Help Scout has no priority
    # Great satisfied; Okay and Not Good not; a blank is no rating
    assert t.loc["2391938101", "satisfied"] == 1
    assert t.loc["2391938115", "satisfied"] == 0  # Okay
    assert t.loc["2391938136", "satisfied"] == 0  # Not Good
    assert np.isnan(t.loc["2391938122", "satisfied"])
    assert (t["satisfied"] == 1).sum() == 9
    assert (t["satisfied"] == 0).sum() == 6
    assert t.loc["2391938101", "tags"] == "refund, billing"
    assert any("Great counts as satisfied" in n for n in parsed.notes)
    assert any("Resolution Time is not read" in n for n in parsed.notes)
    assert t["resolution_min_calendar"].isna().all()


def test_helpscout_dates_are_month_first_unless_the_file_says_otherwise() -> None:
    parsed = parse(
        "Conversation ID,Created At,Closed At,Happiness Rating,Rating\n"
        "1,03/04/2024 09:12,03/04/2024 10:00,okay,okay\n",
        SPECS[Source.HELPSCOUT],
    )
    assert parsed.ok, parsed.errors
    assert parsed.tickets["created_at"].iloc[0] == utc("2024-03-04 09:12")
    assert parsed.tickets["satisfied"].iloc[0] == 0
    # one note for the ratings, though both rating columns are there
    assert sum("Great counts as satisfied" in n for n in parsed.notes) == 1


@pytest.mark.parametrize("rating", ["Excellent", "5", "Good"])
def test_a_rating_help_scout_does_not_give_is_refused(rating) -> None:
    parsed = parse(
        f"Conversation ID,Created At,Happiness Rating\n1,2024-03-04 09:12,{rating}\n",
        SPECS[Source.HELPSCOUT],
    )
    [error] = parsed.errors
    assert (error.row, error.column, error.value) == (2, "Happiness Rating", rating)
    assert error.reason == (
        "not a satisfaction rating this source uses (Great, Okay or Not Good)"
    )


# --- Gorgias -----------------------------------------------------------------------------


def test_gorgias_tickets_export_channels_scores_and_times() -> None:
    parsed = example("gorgias")
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    assert len(t) == 24
    assert t.loc["48213001", "created_at"] == utc("2024-03-04 09:12")
    assert t.loc["48213001", "first_response_at"] == utc("2024-03-04 09:54")
    assert t.loc["48213001", "solved_at"] == utc("2024-03-04 14:12")
    # open tickets have no Closed date
    assert t["solved_at"].isna().sum() == 4
    assert pd.isna(t.loc["48213019", "solved_at"])
    assert pd.isna(t.loc["48213019", "agent_key"])  # open, unassigned
    assert t["agent_key"].isna().sum() == 4
    assert t.loc["48213001", "agent_key"] == "amara.nwosu@example.com"
    assert t.loc["48213013", "group_name"] == "Social"  # the team
    # Gorgias's channel names, read on their words
    channels = t["channel"].astype(str)
    assert channels["48213007"] == "chat"  # facebook-messenger
    assert channels["48213013"] == "social"  # instagram-comment
    assert channels["48213019"] == "chat"  # sms
    assert channels["48213022"] == "web"  # contact_form
    assert channels["48213025"] == "review"  # yotpo-review
    assert channels["48213034"] == "web"  # help-center
    assert channels["48213040"] == "chat"  # whatsapp
    assert dict(channels.value_counts()) == {
        "chat": 9,
        "email": 8,
        "phone": 2,
        "social": 2,
        "web": 2,
        "review": 1,
    }
    assert t.loc["48213016", "priority"] == "urgent"  # critical
    assert t.loc["48213013", "priority"] == "low"
    # survey scores 1-5: 4 and 5 satisfied; no survey, no rating
    assert t.loc["48213001", "satisfied"] == 1
    assert t.loc["48213004", "satisfied"] == 1  # 4
    assert t.loc["48213010", "satisfied"] == 0  # 3
    assert np.isnan(t.loc["48213013", "satisfied"])
    assert (t["satisfied"] == 1).sum() == 9
    assert (t["satisfied"] == 0).sum() == 5
    assert any("4 and 5 count as satisfied" in n for n in parsed.notes)


def test_gorgias_times_without_an_offset_are_read_in_the_organisations_zone() -> None:
    parsed = parse_file(
        (EXPORTS / "gorgias.csv").read_bytes(),
        SPECS[Source.GORGIAS],
        tz=ZoneInfo("America/New_York"),
        now=NOW,
    )
    assert parsed.ok, parsed.errors
    t = parsed.tickets.set_index("external_id")
    # 09:12 in New York (UTC-5 until 10 March), 09:20 after the change (UTC-4)
    assert t.loc["48213001", "created_at"] == utc("2024-03-04 14:12")
    assert t.loc["48213061", "created_at"] == utc("2024-03-18 13:20")


@pytest.mark.parametrize("score", ["6", "0", "Great", "4.5"])
def test_a_gorgias_score_off_the_1_to_5_scale_is_refused(score) -> None:
    parsed = parse(
        f"Ticket id,Created date,Satisfaction survey score\n1,2024-03-04 09:12,{score}\n",
        SPECS[Source.GORGIAS],
    )
    [error] = parsed.errors
    assert (error.row, error.column, error.value) == (
        2,
        "Satisfaction survey score",
        score,
    )
    assert error.reason.startswith("not a satisfaction rating this source uses")


# --- a file given the wrong source -------------------------------------------------------


@pytest.mark.parametrize(
    ("example_file", "given", "looks_like"),
    [
        ("zendesk", Source.SERVICENOW, "Zendesk"),
        ("zendesk", Source.FRESHDESK, "Zendesk"),
        ("servicenow", Source.ZENDESK, "ServiceNow"),
        ("servicenow_event_log", Source.FRONTLINE, "ServiceNow"),
        ("salesforce", Source.ZENDESK, "Salesforce"),
        ("servicenow", Source.SALESFORCE, "ServiceNow"),
        ("intercom", Source.ZENDESK, "Intercom"),
        ("zendesk", Source.INTERCOM, "Zendesk"),
        ("freshdesk", Source.ZENDESK, "Freshdesk"),
        ("freshdesk", Source.SERVICENOW, "Freshdesk"),
        ("helpscout", Source.ZENDESK, "Help Scout"),
        ("helpscout", Source.INTERCOM, "Help Scout"),
        ("helpscout", Source.GORGIAS, "Help Scout"),
        ("intercom", Source.HELPSCOUT, "Intercom"),
        ("gorgias", Source.ZENDESK, "Gorgias"),
        ("gorgias", Source.FRESHDESK, "Gorgias"),
        ("gorgias", Source.HELPSCOUT, "Gorgias"),
        ("zendesk", Source.GORGIAS, "Zendesk"),
        ("freshdesk", Source.GORGIAS, "Freshdesk"),
    ],
)
def test_a_file_given_the_wrong_source_is_told_which_export_it_looks_like(
    example_file, given, looks_like
) -> None:
    data = (EXPORTS / f"{example_file}.csv").read_bytes()
    parsed = parse_file(data, SPECS[given], tz=UTC, now=NOW)
    assert not parsed.ok
    hints = [e.reason for e in parsed.errors if "looks like" in e.reason]
    name = next(s.value for s, spec in SPECS.items() if spec.label == looks_like)
    a = "an" if looks_like == "Intercom" else "a"
    assert hints == [
        f"this looks like {a} {looks_like} export: choose {looks_like} as the "
        f"source (--source {name})"
    ]


def test_a_header_of_no_known_tool_gets_no_guess() -> None:
    parsed = parse("Ref,When,Who\n1,2024-03-01,Ann\n")
    assert not parsed.ok
    assert not any("looks like" in e.reason for e in parsed.errors)


# --- files read in several chunks --------------------------------------------------------


def test_an_event_log_and_a_score_scale_hold_across_chunks(monkeypatch) -> None:
    from incentives.tickets import importing

    monkeypatch.setattr(importing, "CHUNK_ROWS", 3)
    event_log = example("servicenow_event_log", "servicenow")
    assert event_log.ok, event_log.errors
    assert sorted(event_log.tickets["external_id"]) == [
        "INC0000045",
        "INC0000047",
        "INC0000057",
        "INC0000060",
    ]
    t = event_log.tickets.set_index("external_id")
    assert t.loc["INC0000045", "solved_at"] == utc("2024-02-29 11:29")
    # the first chunk with scores (1-5) settles the scale for the chunks after it
    lines = ["Id,Created at,Satisfaction Score"]
    lines += [f"{i},2024-03-01 10:00,{s}" for i, s in enumerate("5134254")]
    scores = parse("\n".join(lines) + "\n")
    assert scores.ok, scores.errors
    assert list(scores.tickets["satisfied"]) == [1, 0, 0, 1, 0, 1, 1]
    assert sum("read as a 1-5 score" in n for n in scores.notes) == 1
