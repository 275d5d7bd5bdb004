"""Machine-readable zones: ICAO 9303 specimens, generated zones, single-digit errors."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from appliance.routing.mrz import MrzFormat, check_digit, find_mrz

# Specimens published by the issuing authorities (BMI nPA sample, ICAO Doc 9303).
NPA_TD1 = (
    "IDD<<T220001293<<<<<<<<<<<<<<<\n"
    "6408125<2010315D<<<<<<<<<<<<<4\n"
    "MUSTERMANN<<ERIKA<<<<<<<<<<<<<"
)
ICAO_TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
ICAO_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
)

ALNUM = string.ascii_uppercase + string.digits
doc_numbers = st.text(ALNUM, min_size=9, max_size=9)
dates = st.text(string.digits, min_size=6, max_size=6)
fillers = st.text(string.ascii_uppercase + "<", min_size=0, max_size=11)


def td1(number: str, birth: str, expiry: str, optional: str) -> list[str]:
    one = f"IDD<<{number}{check_digit(number)}".ljust(30, "<")
    two_start = f"{birth}{check_digit(birth)}F{expiry}{check_digit(expiry)}D<<"
    two_body = (two_start + optional).ljust(29, "<")[:29]
    composite = one[5:30] + two_body[0:7] + two_body[8:15] + two_body[18:29]
    return [one, two_body + str(check_digit(composite)), "MUSTER<<ANNA".ljust(30, "<")]


def test_published_specimens_are_recognised() -> None:
    """GIVEN the nPA and ICAO specimens inside letter text
    WHEN the text is searched
    THEN each zone is found with its format."""
    letter = f"Sehr geehrte Damen und Herren,\nanbei die Kopie:\n{NPA_TD1}\nGruß"
    assert [f.format for f in find_mrz(letter)] == [MrzFormat.TD1]
    assert [f.format for f in find_mrz(ICAO_TD2)] == [MrzFormat.TD2]
    assert [f.format for f in find_mrz(ICAO_TD3)] == [MrzFormat.TD3]


def test_ocr_spacing_and_lower_case_are_tolerated() -> None:
    """GIVEN a zone as OCR returns it: spaces inside, lower case
    WHEN searched
    THEN it is still recognised."""
    spaced = "\n".join(" ".join(line.lower()) for line in NPA_TD1.splitlines())
    assert find_mrz(spaced)


def test_mrz_shaped_lines_with_wrong_check_digits_raise_no_alarm() -> None:
    """GIVEN filler lines of form fields and a zone with one wrong check digit
    WHEN searched
    THEN nothing is reported."""
    form = "\n".join(["<" * 30] * 3)
    broken = NPA_TD1.replace("6408125", "6408126")
    assert find_mrz(form) == []
    assert find_mrz(broken) == []


@given(doc_numbers, dates, dates, fillers)
def test_every_well_formed_td1_is_found(
    number: str, birth: str, expiry: str, optional: str
) -> None:
    """GIVEN any TD1 zone with correct check digits
    WHEN searched
    THEN it is found as TD1."""
    found = find_mrz("\n".join(td1(number, birth, expiry, optional)))
    assert MrzFormat.TD1 in [f.format for f in found]


@given(
    doc_numbers,
    dates,
    dates,
    st.integers(0, 5),
    st.integers(1, 9),
)
def test_any_single_digit_error_in_a_date_is_caught(
    number: str, birth: str, expiry: str, position: int, delta: int
) -> None:
    """GIVEN a valid TD1 zone whose birth date then gets one digit wrong
    WHEN searched
    THEN it is no longer reported (the 7-3-1 check digit catches it)."""
    lines = td1(number, birth, expiry, "")
    wrong = str((int(lines[1][position]) + delta) % 10)
    lines[1] = lines[1][:position] + wrong + lines[1][position + 1 :]
    assert find_mrz("\n".join(lines)) == []


@given(st.text())
def test_arbitrary_text_never_crashes(text: str) -> None:
    """GIVEN any text at all
    WHEN searched
    THEN a list comes back (no exception)."""
    assert isinstance(find_mrz(text), list)
