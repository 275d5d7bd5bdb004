"""Access rights, their German names, and the minimisation rule.

An eID service asks for access rights (the CHAT of its authorization
certificate): some required, some optional. The operator may deselect optional
ones before the citizen confirms. What the appliance keeps afterwards is the
intersection of three sets, nothing else:

    read by the eID service  ∩  effective rights (after deselection)
                             ∩  attributes the municipal service is set up for

and only as values of the documented shapes. Verification rights (age, place of
residence) are kept as yes/no, never as the date of birth or the address behind
them. Raw chip data, PIN, CAN and PUK have no attribute name and can never pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

import msgspec
from msgspec import Meta

from appliance.eid.errors import EidServiceError, InvalidInput

# Readable personal data (TR-03110 part 4, AusweisApp SDK names) -> German label.
DATA_RIGHTS: dict[str, str] = {
    "FamilyName": "Familienname",
    "GivenNames": "Vornamen",
    "BirthName": "Geburtsname",
    "DoctoralDegree": "Doktorgrad",
    "ArtisticName": "Ordens- oder Künstlername",
    "DateOfBirth": "Geburtsdatum",
    "PlaceOfBirth": "Geburtsort",
    "Address": "Anschrift",
    "Nationality": "Staatsangehörigkeit",
    "IssuingCountry": "Ausstellender Staat",
    "DocumentType": "Dokumentart",
    "ValidUntil": "Gültig bis",
    "ResidencePermitI": "Nebenbestimmungen I (Aufenthaltstitel)",
    "ResidencePermitII": "Nebenbestimmungen II (Aufenthaltstitel)",
    "CommunityID": "Gemeindeschlüssel des Wohnorts",
    "Pseudonym": "Pseudonym (dienste- und kartenspezifisches Kennzeichen)",
    "AgeVerification": "Altersbestätigung (nur ja/nein)",
    "AddressVerification": "Wohnortbestätigung (nur ja/nein)",
}
# Rights that are not data: how the card may be used.
FUNCTION_RIGHTS: dict[str, str] = {
    "CanAllowed": "Vor-Ort-Auslesen mit der Zugangsnummer (CAN)",
    "PinManagement": "PIN-Verwaltung",
    "WriteAddress": "Anschrift ändern",
    "WriteCommunityID": "Wohnort-ID ändern",
    "WriteResidencePermitI": "Nebenbestimmungen I ändern",
    "WriteResidencePermitII": "Nebenbestimmungen II ändern",
}
VERIFICATIONS = frozenset({"AgeVerification", "AddressVerification"})
ADDRESS_FIELDS = ("street", "zipCode", "city", "country")


def label(right: str) -> str:
    """The German name of an access right (unknown ones are shown as they are)."""
    return DATA_RIGHTS.get(right) or FUNCTION_RIGHTS.get(right) or right


Value = str | bool | dict[str, str]


class KeptAttribute(msgspec.Struct, kw_only=True, frozen=True):
    """One attribute that leaves the appliance; ``label`` is German."""

    name: str
    label: str
    value: Value


class ServiceProfile(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """A municipal service that identifies citizens at the appliance.

    ``attributes`` is what this service is set up to receive (its legal basis);
    anything else the eID service returns is dropped. ``recipient`` is the
    Fachverfahren (connector route) the identified submission goes to.
    """

    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    name: str
    tc_token_url: str
    result_url: str = ""  # the eID service's result endpoint, if not the refresh URL
    recipient: str
    purpose: str
    legal_basis: str
    attributes: list[str]
    developer_mode: bool = False  # test environments only: AusweisApp accepts http

    def __post_init__(self) -> None:
        unknown = [a for a in self.attributes if a not in DATA_RIGHTS]
        if unknown:
            raise InvalidInput(
                f"Unbekannte Ausweisdaten im Dienst {self.id}: {unknown}"
            )


def selectable(required: Sequence[str], optional: Sequence[str]) -> list[str]:
    """Optional rights the operator may deselect: data rights only."""
    return [right for right in optional if right not in required]


def minimise(
    raw: Mapping[str, object], *, effective: Sequence[str], profile: ServiceProfile
) -> list[KeptAttribute]:
    """The attributes that may be kept, in the order of ``DATA_RIGHTS``."""
    allowed = set(effective) & set(profile.attributes) & set(DATA_RIGHTS)
    kept = []
    for name in DATA_RIGHTS:
        if name in allowed and name in raw and raw[name] is not None:
            value = _checked(name, raw[name])
            kept.append(KeptAttribute(name=name, label=DATA_RIGHTS[name], value=value))
    return kept


def _checked(name: str, value: object) -> Value:
    """The value in its documented shape, or a clear error (nothing is guessed)."""
    if name in VERIFICATIONS:
        if isinstance(value, bool):
            return value
    elif name == "Address":
        if isinstance(value, Mapping) and all(
            isinstance(value.get(f, ""), str) for f in ADDRESS_FIELDS
        ):
            return {f: str(value.get(f, "")) for f in ADDRESS_FIELDS if value.get(f)}
    elif isinstance(value, str) and len(value) <= 512:
        return value
    raise EidServiceError(
        f"Der eID-Dienst hat „{label(name)}“ in einer unerwarteten Form geliefert. "
        "Es wurde nichts übernommen; bitte den IT-Dienstleister informieren."
    )
