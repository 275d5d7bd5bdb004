"""The ``Connector`` protocol: the contract every delivery backend keeps.

Contract (checked for every implementation by ``tests/connectors/test_contract.py``):

1. ``deliver(submission)`` never raises for receiver trouble. It returns
   ``Delivered(receipt)`` only after the receiver confirmed it has the submission
   (stored, decrypted, imported); ``Deferred(retry_after, reason)`` when the outcome
   is unknown or the receiver is temporarily unable (down, slow, 5xx, garbage,
   confirmation pending); ``Rejected(reason)`` when retrying the same bytes cannot
   help (receiver refused, payload too large, key or signature mismatch).
2. Delivering the same submission again (same ``idempotency_key``) is safe: the
   receiver deduplicates and the connector answers ``Delivered`` with
   ``receipt.duplicate`` set, never a second copy.
3. Test submissions carry their test flag to the receiver, which can recognise them.
4. ``health()`` answers within the connector's timeout and never raises.
5. ``settings()`` describes the route settings; ``from_settings`` builds the
   connector from a mapping and raises ``InvalidSettings`` for unknown or bad keys.
6. Only identifiers go to logs, never personal data or document content.
7. ``aclose()`` releases network resources; the connector is unusable afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, Self, TypeVar, runtime_checkable

import msgspec

from connectors.errors import InvalidSettings
from connectors.results import DeliveryResult, Health, SettingSpec
from connectors.submission import Submission

T = TypeVar("T")


@runtime_checkable
class Connector(Protocol):
    kind: ClassVar[str]

    async def deliver(self, submission: Submission) -> DeliveryResult: ...

    async def health(self) -> Health: ...

    @classmethod
    def settings(cls) -> tuple[SettingSpec, ...]: ...

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Self: ...

    async def aclose(self) -> None: ...


def convert_settings(values: Mapping[str, Any], into: type[T]) -> T:
    """Settings mapping -> typed settings struct; bad input -> ``InvalidSettings``."""
    try:
        return msgspec.convert(dict(values), into, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidSettings(f"Ungültige Einstellungen: {exc}") from exc


def describe_settings(struct: type[msgspec.Struct]) -> tuple[SettingSpec, ...]:
    """``SettingSpec`` for each field, from ``Meta(description=...)`` annotations."""
    specs = []
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    for field in info.fields:
        description = ""
        example = ""
        field_type = field.type
        if isinstance(field_type, msgspec.inspect.Metadata):
            schema = field_type.extra_json_schema or {}
            description = str(schema.get("description", ""))
            example = str(schema.get("examples", [""])[0])
        specs.append(
            SettingSpec(
                name=field.name,
                description=description,
                required=field.required,
                secret="secret" in field.name or "key" in field.name,
                example=example,
            )
        )
    return tuple(specs)
