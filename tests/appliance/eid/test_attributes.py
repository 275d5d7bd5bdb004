"""Minimisation, the identified submission and the transfer log, property-tested."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.eid.attributes import (
    DATA_RIGHTS,
    FUNCTION_RIGHTS,
    ServiceProfile,
    minimise,
)
from appliance.eid.errors import EidServiceError, InvalidInput
from appliance.eid.submission import Method, attach, build, load
from appliance.eid.transferlog import JsonLinesTransferLog

RIGHTS = sorted(DATA_RIGHTS)
SECRETS = {"PIN": "123456", "CAN": "500540", "PUK": "9876543210"}


def profile(attributes: list[str]) -> ServiceProfile:
    return ServiceProfile(
        id="wohngeld",
        name="Wohngeld",
        tc_token_url="https://eid.example.de/tcToken",
        recipient="fv-wohngeld",
        purpose="Antrag auf Wohngeld",
        legal_basis="§ 23 WoGG",
        attributes=attributes,
    )


def value_for(right: str, token: str) -> object:
    if right in ("AgeVerification", "AddressVerification"):
        return True
    if right == "Address":
        return {"street": f"Str {token}", "zipCode": "04109", "city": "Leipzig"}
    return f"value-{right}-{token}"


raw_results = st.builds(
    lambda present, extra, token: {
        **{r: value_for(r, token) for r in present},
        **extra,
        **SECRETS,
        "EF.DG1": "61044944",
    },
    st.sets(st.sampled_from(RIGHTS)),
    st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=8), max_size=4),
    st.text(alphabet="abcdef0123456789", min_size=8, max_size=8),
)
subsets = st.sets(st.sampled_from(RIGHTS + sorted(FUNCTION_RIGHTS)))


@given(raw=raw_results, effective=subsets, wanted=st.sets(st.sampled_from(RIGHTS)))
def test_only_requested_selected_and_configured_attributes_are_kept(
    raw: dict[str, object], effective: set[str], wanted: set[str]
) -> None:
    """GIVEN any eID result (with PIN/CAN/PUK and raw chip data mixed in),
    any effective rights after deselection and any service configuration
    WHEN the result is minimised
    THEN exactly the attributes in all three sets are kept, none other."""
    kept = minimise(raw, effective=sorted(effective), profile=profile(sorted(wanted)))
    names = [a.name for a in kept]
    assert set(names) == set(raw) & effective & wanted
    assert len(names) == len(set(names))
    encoded = msgspec.json.encode(kept).decode()
    for secret in SECRETS.values():
        assert secret not in encoded
    assert "61044944" not in encoded


@given(token=st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_age_verification_never_reveals_the_date_of_birth(token: str) -> None:
    """GIVEN a result that carries the date of birth next to the age verification
    WHEN the service only asked for the age verification
    THEN a yes/no is kept and the date of birth is not."""
    raw = {"AgeVerification": True, "DateOfBirth": f"1964-08-12-{token}"}
    kept = minimise(
        raw, effective=["AgeVerification"], profile=profile(["AgeVerification"])
    )
    assert [(a.name, a.value) for a in kept] == [("AgeVerification", True)]
    assert token not in msgspec.json.encode(kept).decode()


@pytest.mark.parametrize(
    ("name", "value"),
    [("AgeVerification", "yes"), ("Address", "Hauptstr. 1"), ("FamilyName", 42)],
)
def test_a_value_in_the_wrong_shape_is_refused_not_guessed(
    name: str, value: object
) -> None:
    """GIVEN an eID result with a value in an undocumented shape
    WHEN it is minimised
    THEN a German EidServiceError says so and nothing is returned."""
    with pytest.raises(EidServiceError, match="unerwarteten Form"):
        minimise({name: value}, effective=[name], profile=profile([name]))


def test_a_service_profile_with_an_unknown_attribute_is_refused() -> None:
    """GIVEN a service configured with an attribute that does not exist
    WHEN the profile is built
    THEN it is refused with the attribute's name."""
    with pytest.raises(InvalidInput, match="Lieblingsfarbe"):
        profile(["FamilyName", "Lieblingsfarbe"])


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=raw_results, effective=subsets, wanted=st.sets(st.sampled_from(RIGHTS)))
def test_every_kept_attribute_gets_exactly_one_transfer_log_entry(
    tmp_path_factory: pytest.TempPathFactory,
    raw: dict[str, object],
    effective: set[str],
    wanted: set[str],
) -> None:
    """GIVEN any minimised result attached to a batch
    WHEN the sidecar and the transfer log are read back
    THEN the sidecar holds the same attributes and the log one entry per attribute,
    naming the attribute and the recipient but never a value."""
    batch = tmp_path_factory.mktemp("batch")
    log = JsonLinesTransferLog(batch.parent / f"{batch.name}.transfer.jsonl")
    kept = minimise(raw, effective=sorted(effective), profile=profile(sorted(wanted)))
    submission = build(
        batch_id=batch.name,
        profile=profile(sorted(wanted)),
        method=Method.EID_ONLINE,
        operator="poststelle-1",
        attributes=kept,
    )
    asyncio.run(attach(batch, submission, log))
    assert load(batch) == submission
    entries = log.read()
    assert [e.data_fields for e in entries] == [(a.name,) for a in kept]
    assert {e.receiver for e in entries} <= {"fv-wohngeld"}
    assert {e.identification_level for e in entries} <= {"hoch"}
    logged = log.path.read_text() if log.path.exists() else ""
    for attribute in kept:
        if isinstance(attribute.value, str):
            assert attribute.value not in logged


def test_a_second_identification_for_the_same_batch_loses_nothing(
    tmp_path: Path,
) -> None:
    """GIVEN a batch that already carries an identified submission
    WHEN another one is attached
    THEN it is refused, the first one is unchanged and the log has no new entries."""
    log = JsonLinesTransferLog(tmp_path / "transfer.jsonl")
    batch = tmp_path / "batch-1"
    batch.mkdir()
    kept = minimise(
        {"FamilyName": "MUSTERMANN"},
        effective=["FamilyName"],
        profile=profile(["FamilyName"]),
    )
    first = build(
        batch_id="batch-1",
        profile=profile(["FamilyName"]),
        method=Method.ON_SITE,
        operator="p",
        attributes=kept,
    )
    asyncio.run(attach(batch, first, log))
    second = msgspec.structs.replace(first, id="other")
    with pytest.raises(InvalidInput, match="schon eine Identifizierung"):
        asyncio.run(attach(batch, second, log))
    assert load(batch) == first
    assert len(log.read()) == 1
    assert first.level == "substanziell"
