"""Campaign target imports: CSV and Open States files in, target bodies or line-numbered
problems out, the plan of what a re-import changes, and the CSV export read back."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.campaigns.imports import ImportResult, ParsedTarget, match_keys, plan_import
from node.campaigns.imports_csv import HEADER, export_csv, parse_csv, template_csv
from node.campaigns.imports_openstates import parse_openstates

FIXTURES = Path(__file__).parent / "fixtures"
MAYOR = FIXTURES / "Dana-Whitfield-6f1d2c9e-3b7a-4e55-9c0d-2a8b7e4f1c30.yml"
DA = FIXTURES / "Marcus-Oyelaran-0b7e5a21-94c3-4d8f-a6b2-5e1f3c9d7a48.yml"
TODAY = dt.date(2026, 11, 22)
MINIMAL = "name,office_type,jurisdiction\n"


def yaml_file(path: Path, as_of: dt.date = TODAY) -> ImportResult:
    return parse_openstates(path.name, path.read_bytes(), as_of)


def problems(result: ImportResult) -> list[tuple[int, str]]:
    assert result.records == [] or result.problems == []
    return [(p.line, p.reason) for p in result.problems]


def test_csv_fixture_reads_every_official() -> None:
    result = parse_csv("targets.csv", (FIXTURES / "targets.csv").read_bytes())
    assert result.problems == []
    mayor, da, candidate = result.records
    assert [r.line for r in result.records] == [2, 4, 5]  # the mayor's notes span two lines
    assert mayor.body["offices"] == [
        {
            "classification": "primary",
            "address": "City Hall, 100 Main Street, Room 200, Riverton, MN 55400",
            "voice": "612-555-0100",
        }
    ]
    assert mayor.body["notes"].endswith("\nSaid in March she is open to a body-camera policy.")
    assert da.body["sources"][1] == {
        "url": "https://www.sos.state.mn.us/election-results/2022",
        "checked": "2026-11-18",
    }
    assert da.body["ids"] == [
        {"scheme": "openstates", "value": "ocd-person/0b7e5a21-94c3-4d8f-a6b2-5e1f3c9d7a48"}
    ]
    assert candidate.body["candidacy"] == {
        "election_date": "2026-11-03",
        "office": "Hollis County Attorney",
        "district": "",
        "result": "pending",
    }
    assert candidate.body["ids"] == []
    assert candidate.body["term_start"] is None


def test_template_reads_back_and_lists_the_documented_header() -> None:
    template = template_csv()
    assert template.splitlines()[0] == ",".join(HEADER)
    result = parse_csv("template.csv", template)
    assert result.problems == []
    assert len(result.records) == 1
    assert export_csv([result.records[0].body]) == template


def test_openstates_mayor_holds_the_role_current_on_the_date() -> None:
    (record,) = yaml_file(MAYOR).records
    body = record.body
    assert (body["office_type"], body["title"]) == ("mayor", "Mayor")
    assert (body["term_start"], body["term_end"]) == ("2024-01-02", "2028-01-03")
    assert body["ocd_division"] == "ocd-division/country:us/state:mn/place:riverton"
    assert body["jurisdiction"] == "Riverton, MN"
    assert body["party"] == "Independent"
    assert body["website"] == "https://riverton.example/mayor"
    assert body["photo_url"] == "https://riverton.example/images/mayor-whitfield.jpg"
    assert body["ids"] == [
        {"scheme": "openstates", "value": "ocd-person/6f1d2c9e-3b7a-4e55-9c0d-2a8b7e4f1c30"},
        {"scheme": "twitter", "value": "MayorWhitfield"},
    ]
    assert [s["url"] for s in body["sources"]] == [
        "https://riverton.example/mayor",
        "https://riverton.example/council/roster",
    ]
    assert "positions" not in record.fields
    assert "notes" not in record.fields
    # The first term, on a date within it.
    (earlier,) = yaml_file(MAYOR, dt.date(2021, 6, 1)).records
    assert (earlier.body["term_start"], earlier.body["term_end"]) == ("2020-01-06", "2024-01-02")


def test_openstates_district_attorney() -> None:
    (record,) = yaml_file(DA).records
    body = record.body
    assert (body["office_type"], body["title"]) == ("district_attorney", "District Attorney")
    assert body["ocd_division"] == "ocd-division/country:us/state:mn/county:hollis"
    assert body["jurisdiction"] == "Hollis County, MN"
    assert body["party"] == "Democratic-Farmer-Labor"
    assert [o["classification"] for o in body["offices"]] == ["primary", "district"]
    assert body["ids"][1] == {"scheme": "ballotpedia", "value": "Marcus_Oyelaran"}
    assert body["term_end"] == "2026-12-31"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("nom,office_type,jurisdiction\n", 1, "unknown columns: nom"),
        ("name,office_type\n", 1, "missing columns: jurisdiction"),
        ("given_name,office_type,jurisdiction\n", 1, "missing columns: name (or given_name"),
        ("name,name,office_type,jurisdiction\n", 1, "columns named twice: name"),
        ("", 1, "is empty"),
        (MINIMAL + "Ann Lee,mayor,Riverton\nBo Sun,mayor\n", 3, "has 2 cells where the header"),
        (MINIMAL + "Ann Lee,Mayor,Riverton\n", 2, "office_type: 'Mayor' is not an office type"),
        (MINIMAL + ",mayor,Riverton\n", 2, "name: must not be empty"),
        (MINIMAL + f"{'x' * 201},mayor,Riverton\n", 2, "name: is longer than 200 characters"),
        ("name,office_type,jurisdiction,term_end\nA,mayor,R,2027-02-30\n", 2, "term_end: '2027-02"),
        ("name,office_type,jurisdiction,term_end\nA,mayor,R,02/01/2027\n", 2, "not a date"),
        ("name,office_type,jurisdiction,website\nA,mayor,R,riverton.example\n", 2, "website: "),
        ("name,office_type,jurisdiction,id\nA,mayor,R,ocd-person/1\n", 2, "id: 'ocd-person/1'"),
        ("name,office_type,jurisdiction,ocd_division\nA,mayor,R,Riverton\n", 2, "ocd_division:"),
        ("name,office_type,jurisdiction,checked\nA,mayor,R,2026-01-01\n", 2, "checked: gives"),
        ("name,office_type,jurisdiction,election_date\nA,mayor,R,2026-11-03\n", 2,
         "election_office: must not be empty"),
        ("name,office_type,jurisdiction,notes\nA,mayor,R,\"" + "n" * 20001 + "\"\n", 2,
         "notes: is longer than 20000"),
        ("name,office_type,jurisdiction,term_start,term_end\nA,mayor,R,2026-01-01,2025-01-01\n",
         2, "term_end: the term ends before it starts"),
    ],
)  # fmt: skip
def test_bad_csv_names_the_line_and_imports_nothing(text: str, line: int, reason: str) -> None:
    good = "Good Row,mayor,Riverton\n" if text.startswith(MINIMAL) else ""
    result = parse_csv("bad.csv", (text + good).encode())
    assert result.records == []
    assert any(at == line and reason in why for at, why in problems(result)), problems(result)


def test_csv_that_is_not_utf8_names_its_line() -> None:
    result = parse_csv(
        "latin1.csv", (MINIMAL + "Ann Lee,mayor,R\nJos\xe9,mayor,R\n").encode("latin-1")
    )
    assert problems(result) == [(3, "is not UTF-8 text")]


def yaml_problems(text: str) -> list[tuple[int, str]]:
    result = parse_openstates("person.yml", text.encode(), TODAY)
    assert result.records == []
    return problems(result)


GOOD_YAML = MAYOR.read_text()


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("end_date: '2028-01-03'", "end_date: '2025-01-03'"), 9, "roles: none is current"),
        (("type: mayor\n  jurisdiction: ocd-jurisdiction/country:us/state:mn/place:riverton/gov"
          "ernment\noffices", "type: Mayor!\n  jurisdiction: x\noffices"), 16, "office_type:"),
        (("- url: https://riverton.example/council/roster", "- url: riverton.example/roster"),
         28, "sources.1.url: 'riverton.example/roster' is not a web address"),
        (("image: https://riverton", "image: ftp://riverton"), 6, "photo_url:"),
        (("name: Dana Whitfield", "name: [Dana, Whitfield]"), 2, "name: must be text"),
        (("email: mayor@riverton.example", "email: a\nemail: b"), 6, "names 'email' twice"),
        (("given_name: Dana", "given_name: !!python/object:os.system Dana"), 3, "uses a tag"),
        (("offices:", "offices: {"), 19, "is not valid YAML"),
        (("roles:", "roles: 5\nrole:"), 9, "roles: must be a list"),
    ],
)  # fmt: skip
def test_bad_openstates_file_names_the_line(
    change: tuple[str, str], line: int, reason: str
) -> None:
    assert change[0] in GOOD_YAML
    found = yaml_problems(GOOD_YAML.replace(change[0], change[1], 1))
    assert any(at == line and reason in why for at, why in found), found


def test_huge_integer_and_deep_nesting_are_clear_problems() -> None:
    digits = "9" * 4301
    # An integer where text belongs is read as its digits, never converted.
    big = parse_openstates("big.yml", GOOD_YAML.replace("612-555-0100", digits).encode(), TODAY)
    assert problems(big) == [(21, "offices.0.voice: is longer than 500 characters")]
    deep = "name: A\nextras: " + "[" * 50_000 + "]" * 50_000 + "\n"
    found = yaml_problems(deep)
    assert len(found) == 1
    assert found[0][0] == 2
    assert "nest" in found[0][1]
    deep_csv = parse_csv("deep.csv", MINIMAL + "A,mayor,R\n" + "x" * 200_000 + "\n")
    assert deep_csv.records == []
    assert deep_csv.problems[0].line == 3


def test_yaml_bomb_is_refused_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, c in zip("abcdefghi", "bcdefghij", strict=True)
    )
    started = time.perf_counter()
    found = yaml_problems(bomb)
    assert time.perf_counter() - started < 0.5
    assert found == [(2, "uses an alias (*name), which Open States files never do")]


def test_more_than_one_document_is_a_problem() -> None:
    assert yaml_problems(GOOD_YAML + "---\n" + GOOD_YAML)[0][1].startswith("holds more than one")


def existing_of(records: list[ParsedTarget]) -> list[tuple[str, Any, dict[str, Any]]]:
    return [(f"obj{i}", match_keys(r.body), r.body) for i, r in enumerate(records)]


def test_reimport_matches_by_id_and_reports_changed_fields() -> None:
    first = yaml_file(MAYOR).records + yaml_file(DA).records
    plan = plan_import([], first)
    assert [t.action for t in plan.targets] == ["new", "new"]
    assert plan.problems == []
    existing = existing_of(first)
    # Members added notes and a position since: a re-import keeps them.
    existing[0][2]["notes"] = "Met on 2026-11-10."
    moved = GOOD_YAML.replace("612-555-0100", "612-555-0199").replace("Dana Whitfield", "Dana W.")
    again = parse_openstates(MAYOR.name, moved.encode(), TODAY).records + yaml_file(DA).records
    plan = plan_import(existing, again)
    mayor, da = plan.targets
    assert (mayor.action, mayor.object_id, mayor.changed) == (
        "changed",
        "obj0",
        ("name", "offices"),
    )
    assert mayor.body["notes"] == "Met on 2026-11-10."
    assert mayor.body["name"] == "Dana W."
    assert (da.action, da.object_id, da.changed) == ("unchanged", "obj1", ())
    # The CSV of the same officials matches by the same ids.
    rows = parse_csv("targets.csv", (FIXTURES / "targets.csv").read_bytes()).records
    plan = plan_import(existing, rows)
    assert [(t.action, t.object_id) for t in plan.targets] == [
        ("changed", "obj0"), ("changed", "obj1"), ("new", None)
    ]  # fmt: skip


def test_match_by_name_without_ids_and_not_against_another_person() -> None:
    (mayor,) = yaml_file(MAYOR).records
    existing = existing_of([mayor])
    by_name = parse_csv("n.csv", MINIMAL + 'dana  WHITFIELD,mayor,"Riverton, MN"\n').records
    assert [(t.action, t.object_id) for t in plan_import(existing, by_name).targets] == [
        ("changed", "obj0")
    ]
    namesake = parse_csv(
        "n.csv",
        "id," + MINIMAL + 'openstates:ocd-person/other,Dana Whitfield,mayor,"Riverton, MN"\n',
    ).records
    assert [t.action for t in plan_import(existing, namesake).targets] == ["new"]


def test_two_records_of_one_official_are_problems_and_drop_both_files() -> None:
    (mayor,) = yaml_file(MAYOR).records
    (da,) = yaml_file(DA).records
    rows = parse_csv("targets.csv", (FIXTURES / "targets.csv").read_bytes()).records
    plan = plan_import(existing_of([mayor]), [mayor, da, rows[0], rows[2]])
    assert {(p.file, p.line) for p in plan.problems} == {(MAYOR.name, 1), ("targets.csv", 2)}
    assert [t.record.file for t in plan.targets] == [DA.name]
    # Two new rows naming one official: the second is at the first's line.
    twice = parse_csv("twice.csv", MINIMAL + "Ann Lee,mayor,R\nAnn Lee,mayor,R\n").records
    plan = plan_import([], twice)
    assert plan.targets == []
    assert [(p.line, p.reason) for p in plan.problems] == [
        (3, "Ann Lee: is also at line 2 of twice.csv"),
        (2, "Ann Lee: is also at line 3 of twice.csv"),
    ]


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30).map(str.strip)
words = st.text(st.characters(blacklist_categories=("Cs", "Z", "Cc")), min_size=1, max_size=20)
dates = st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)).map(dt.date.isoformat)
slugs = st.from_regex(r"[a-z0-9_.~-]{1,20}", fullmatch=True)
urls = words.map(lambda w: "https://example.org/" + w)


@st.composite
def csv_targets(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.none() | dates)
    end = draw(st.none() | dates.filter(lambda d: start is None or d >= start))
    address, phone = draw(text), draw(text)
    checked = draw(st.none() | dates)
    return {
        "name": draw(text.filter(bool)),
        "given_name": draw(text),
        "family_name": draw(text),
        "office_type": draw(st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True)),
        "title": draw(text),
        "jurisdiction": draw(text.filter(bool)),
        "ocd_division": draw(st.none() | slugs.map(lambda w: f"ocd-division/country:us/place:{w}")),
        "party": draw(text),
        "term_start": start,
        "term_end": end,
        "offices": [{"classification": "primary", "address": address, "voice": phone}]
        if address or phone
        else [],
        "email": draw(text),
        "contact_form": draw(st.none() | urls),
        "website": draw(st.none() | urls),
        "platform_url": draw(st.none() | urls),
        "photo_url": draw(st.none() | urls),
        "positions": [],
        "sources": [{"url": u, "checked": checked} for u in draw(st.lists(urls, max_size=3))],
        "ids": draw(
            st.lists(
                st.fixed_dictionaries({"scheme": text.filter(bool), "value": text.filter(bool)}),
                max_size=3,
            )
        ),
        "candidacy": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "election_date": dates,
                    "office": text.filter(bool),
                    "district": text,
                    "result": st.sampled_from(["pending", "won", "lost"]),
                }
            )
        ),
        "notes": draw(text),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(csv_targets(), max_size=4))
def test_export_reads_back_the_same_targets(targets: list[dict[str, Any]]) -> None:
    result = parse_csv("export.csv", export_csv(targets).encode())
    assert result.problems == []
    assert [r.body for r in result.records] == targets
