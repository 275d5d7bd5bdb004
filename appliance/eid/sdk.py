"""The AusweisApp SDK's JSON messages (API level 2, AusweisApp 1.24 and later).

Messages from AusweisApp are a tagged union on ``msg``; commands are plain dicts
built by ``command``. Fields AusweisApp adds in later versions are ignored;
a message name this module does not know decodes to ``Unknown`` instead of failing,
so a newer AusweisApp cannot break the appliance mid-flow.
"""

from __future__ import annotations

from typing import Any

import msgspec


class CardInfo(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    inoperative: bool = False
    deactivated: bool = False
    retry_counter: int = -1


class ReaderInfo(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    attached: bool = False
    insertable: bool = False
    keypad: bool = False
    card: CardInfo | None = None


class VersionInfo(msgspec.Struct, kw_only=True, frozen=True):
    name: str = msgspec.field(default="", name="Name")
    implementation_title: str = msgspec.field(default="", name="Implementation-Title")
    implementation_version: str = msgspec.field(
        default="", name="Implementation-Version"
    )
    specification_title: str = msgspec.field(default="", name="Specification-Title")
    specification_version: str = msgspec.field(default="", name="Specification-Version")


class Chat(msgspec.Struct, kw_only=True, frozen=True):
    """Certificate holder authorization: the access rights of the service."""

    effective: list[str] = []
    optional: list[str] = []
    required: list[str] = []


class Aux(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    age_verification_date: str | None = None
    required_age: str | None = None
    validity_date: str | None = None
    community_id: str | None = None


class AuthResult(msgspec.Struct, kw_only=True, frozen=True):
    major: str
    minor: str | None = None
    language: str | None = None
    description: str | None = None
    message: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.major.endswith("#ok")


class CertificateDescription(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    issuer_name: str = ""
    issuer_url: str = ""
    subject_name: str = ""
    subject_url: str = ""
    terms_of_usage: str = ""
    purpose: str = ""


class Validity(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    effective_date: str = ""
    expiration_date: str = ""


class _Msg(msgspec.Struct, kw_only=True, frozen=True, tag_field="msg"):
    pass


class Info(_Msg, tag="INFO", frozen=True):
    version_info: VersionInfo = msgspec.field(name="VersionInfo")


class ApiLevel(_Msg, tag="API_LEVEL", frozen=True):
    available: list[int] = []
    current: int = 0
    error: str | None = None


class Reader(_Msg, ReaderInfo, tag="READER", frozen=True):
    pass


class ReaderList(_Msg, tag="READER_LIST", frozen=True):
    readers: list[ReaderInfo] = []


class Auth(_Msg, tag="AUTH", frozen=True):
    """Start (no fields), refusal (``error``) or end (``result`` and ``url``)."""

    error: str | None = None
    result: AuthResult | None = None
    url: str | None = None


class ChangePin(_Msg, tag="CHANGE_PIN", frozen=True):
    success: bool | None = None
    reason: str | None = None


class AccessRights(_Msg, tag="ACCESS_RIGHTS", frozen=True):
    chat: Chat
    error: str | None = None
    aux: Aux | None = None
    transaction_info: str | None = msgspec.field(default=None, name="transactionInfo")
    can_allowed: bool | None = msgspec.field(default=None, name="canAllowed")


class Certificate(_Msg, tag="CERTIFICATE", frozen=True):
    description: CertificateDescription
    validity: Validity | None = None


class EnterPin(_Msg, tag="ENTER_PIN", frozen=True):
    error: str | None = None
    reader: ReaderInfo | None = None


class EnterCan(_Msg, tag="ENTER_CAN", frozen=True):
    error: str | None = None
    reader: ReaderInfo | None = None


class EnterPuk(_Msg, tag="ENTER_PUK", frozen=True):
    error: str | None = None
    reader: ReaderInfo | None = None


class EnterNewPin(_Msg, tag="ENTER_NEW_PIN", frozen=True):
    error: str | None = None
    reader: ReaderInfo | None = None


class InsertCard(_Msg, tag="INSERT_CARD", frozen=True):
    error: str | None = None


class Status(_Msg, tag="STATUS", frozen=True):
    workflow: str | None = None
    progress: int | None = None
    state: str | None = None


class Pause(_Msg, tag="PAUSE", frozen=True):
    cause: str = ""


class BadState(_Msg, tag="BAD_STATE", frozen=True):
    error: str = ""


class Invalid(_Msg, tag="INVALID", frozen=True):
    error: str = ""


class InternalError(_Msg, tag="INTERNAL_ERROR", frozen=True):
    error: str = ""


class UnknownCommand(_Msg, tag="UNKNOWN_COMMAND", frozen=True):
    error: str = ""


class Unknown(msgspec.Struct, kw_only=True, frozen=True):
    """A message this appliance does not know yet (from a newer AusweisApp)."""

    msg: str


Message = (
    Info
    | ApiLevel
    | Reader
    | ReaderList
    | Auth
    | ChangePin
    | AccessRights
    | Certificate
    | EnterPin
    | EnterCan
    | EnterPuk
    | EnterNewPin
    | InsertCard
    | Status
    | Pause
    | BadState
    | Invalid
    | InternalError
    | UnknownCommand
)

_decoder = msgspec.json.Decoder(Message)


class _Envelope(msgspec.Struct):
    msg: str = ""


def decode(raw: str | bytes) -> Message | Unknown:
    """One SDK message; ``Unknown`` for a name this module does not list."""
    try:
        message: Message = _decoder.decode(raw)
        return message
    except msgspec.ValidationError:
        envelope = msgspec.json.decode(raw, type=_Envelope)
        if envelope.msg and envelope.msg not in _KNOWN:
            return Unknown(msg=envelope.msg)
        raise


_KNOWN = {t.__struct_config__.tag for t in Message.__args__}

SECRET_FIELDS = frozenset({"value"})


def command(cmd: str, **fields: Any) -> bytes:
    """A command as JSON; ``None`` fields are left out (keypad readers)."""
    body = {"cmd": cmd, **{k: v for k, v in fields.items() if v is not None}}
    return msgspec.json.encode(body)


def loggable(cmd: bytes) -> str:
    """The command for the log, with PIN, CAN and PUK values blanked."""
    body = msgspec.json.decode(cmd)
    return msgspec.json.encode(
        {k: ("***" if k in SECRET_FIELDS else v) for k, v in body.items()}
    ).decode()
