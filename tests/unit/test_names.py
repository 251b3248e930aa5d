"""Finding a child by what staff type: names however spelt or ordered, and what kind of
thing was typed (reference, NHS number, date of birth, name)."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain import names


@pytest.mark.parametrize("typed", ["Jonh Smyth", "Smith, John", "john smith", "SMITH JOHN",
                                   "Jhon Smith", "J Smith", "Jon Smith"])
def test_misspelt_or_reordered_names_find_john_smith(typed):
    assert names.matches(typed, "John Smith")


@pytest.mark.parametrize("typed", ["John Brown", "Mary Smith", "Mary", "Smithers Jones"])
def test_other_names_do_not(typed):
    assert not names.matches(typed, "John Smith")


def test_the_closest_name_comes_first():
    ranked = names.rank("Jonh Smith", [
        ("joan", ("Joan Smith", None)), ("john", ("John Smith", None)),
        ("longer", ("John Smith-Jones", None)), ("brown", ("John Brown", None))])
    assert [item for item, _ in ranked][0] == "john"
    assert {item for item, _ in ranked} == {"john", "longer", "joan"}


def test_accents_apostrophes_hyphens_and_preferred_names():
    assert names.words("Zoë O'Brien-Kelly") == ["zoe", "obrien", "kelly"]
    assert names.matches("zoe obrien", "Zoë O’Brien")
    assert names.matches("Kelly", "Zoë O'Brien-Kelly")
    assert names.matches("Robbie Example", "Robert Example", "Robbie")
    assert names.matches("Alex", "Alexander Lee")  # the start of a name
    assert names.words("محمد علي") == ["محمد", "علي"]  # any script, found by its letters
    assert names.matches("علي محمد", "محمد علي") and names.sounds_key("محمد علي")
    assert names.parse_query("محمد").kind == "name"


def test_sounds_fold_spellings_of_the_same_first_sound():
    assert names.sound("Catherine") == names.sound("Katherine")
    assert names.sound("Philip") == names.sound("Filip")
    assert names.sound("Smith") == names.sound("Smyth")
    assert names.sound("Jonh") == names.sound("John")
    assert names.sound("Cyril") != names.sound("Kyril")  # a soft c is an s
    assert names.sound("Ashcraft") == "a261"  # lower case; h does not part s and c


def test_the_sounds_key_is_what_the_database_looks_in():
    key = names.sounds_key("John Smith", "Johnny")
    assert key.startswith(" ") and key.endswith(" ")
    assert f" {names.sound('John')} " in key and f" {names.sound('Smith')} " in key
    assert names.sounds_key("", None) == ""
    assert len(names.sounds_key(" ".join(f"Name{chr(97 + i)}x{i}" for i in range(26)) * 3)
               ) <= names.SOUNDS_KEY_LENGTH
    assert names.query_sounds("J Smith") == [names.sound("Smith")]  # an initial has none


@pytest.mark.parametrize("typed,kind,value", [
    ("dsr-acde-3467", "reference", "DSR-ACDE-3467"),
    (" DSR ACDE 3467 ", "reference", "DSR-ACDE-3467"),
    ("DSRACDE3467", "reference", "DSR-ACDE-3467"),
    ("vol-00000012", "reference", "VOL-00000012"),
    ("943 476 5919", "nhs_number", "9434765919"),
    ("943-476-5919", "nhs_number", "9434765919"),
    ("9434765919", "nhs_number", "9434765919"),
    ("04/05/2012", "date_of_birth", "2012-05-04"),
    ("4 5 2012", "date_of_birth", "2012-05-04"),
    ("2012-05-04", "date_of_birth", "2012-05-04"),
    ("4.5.2012", "date_of_birth", "2012-05-04"),
    ("4 May 2012", "date_of_birth", "2012-05-04"),
    ("Smith,  John", "name", "smith john"),
    ("", "empty", ""),
    ("   ", "empty", ""),
    ("12345", "unclear", "12345"),
    ("31/02/2012", "unclear", "31/02/2012"),
    ("!!!", "unclear", "!!!"),
])
def test_what_was_typed(typed, kind, value):
    query = names.parse_query(typed)
    assert (query.kind, query.value) == (kind, value)


def test_a_date_of_birth_carries_the_date():
    assert names.parse_query("9/3/2013").born == date(2013, 3, 9)
