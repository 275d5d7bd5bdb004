"""An identified submission travels with the scanned document and is stored with it."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.marketplace.conftest import MakeAccount

from .samples import body, letter_pdf, sha256
from .test_intake import URL, buyer

IDENTIFICATION: dict[str, object] = {
    "submission_id": "0123456789abcdef0123456789abcdef",
    "method": "eid_online",
    "level": "hoch",
    "service": "wohngeld",
    "recipient": "fv-wohngeld",
    "purpose": "Antrag auf Wohngeld",
    "legal_basis": "§ 23 WoGG",
    "identified_at": "2026-11-23T02:00:00Z",
    "attributes": [
        {"name": "FamilyName", "label": "Familienname", "value": "MUSTERMANN"},
        {"name": "AgeVerification", "label": "Altersbestätigung", "value": True},
    ],
}


async def test_identification_is_stored_with_the_document(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN a document whose batch carries an eID identification
    WHEN it is delivered
    THEN the municipality's listing returns the level and exactly its attributes."""
    auth = await buyer(make_account)
    pdf = letter_pdf(70)
    answer = await client.put(
        f"{URL}/{sha256(pdf)}",
        json=body(pdf, identification=IDENTIFICATION),
        headers=auth,
    )
    assert answer.status_code == 201
    [stored] = (await client.get(URL, headers=auth)).json()
    kept = stored["metadata"]["identification"]
    assert kept["level"] == "hoch"
    assert [a["name"] for a in kept["attributes"]] == ["FamilyName", "AgeVerification"]
    assert kept["attributes"][1]["value"] is True


async def test_raw_chip_data_or_unknown_fields_are_refused(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN identifications with an extra field (a PIN) or a data-group name
    WHEN delivered
    THEN 400 and nothing is stored."""
    auth = await buyer(make_account)
    pdf = letter_pdf(71)
    with_pin = {**IDENTIFICATION, "pin": "123456"}
    raw = {**IDENTIFICATION, "attributes": [{"name": "EF.DG2", "value": "ffd8"}]}
    for identification in (with_pin, raw):
        answer = await client.put(
            f"{URL}/{sha256(pdf)}",
            json=body(pdf, identification=identification),
            headers=auth,
        )
        assert answer.status_code == 400
    assert (await client.get(URL, headers=auth)).json() == []
