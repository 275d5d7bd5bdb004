"""HTTP routes of the document intake context (scanned mail from appliances)."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from marketplace.dependencies import DB, Caller, DocumentStore
from marketplace.fleet.auth import DEVICE_OR_PERSON, OptionalDevice
from marketplace.intake import service
from marketplace.intake.schemas import (
    SHA256_PATTERN,
    DocumentIn,
    Receipt,
    StoredDocument,
)

# A scanned document of a few hundred pages, base64-encoded in JSON.
MAX_DOCUMENT_BODY = 256 * 1024 * 1024

DocumentKey = Annotated[str, PathParameter(pattern=SHA256_PATTERN)]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
ForAgs = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^\d{8}$",
        description="AGS der Kommune, für die geliefert wird (muss die eigene sein)",
    ),
]


@put(
    "/intake/documents/{sha256:str}",
    summary="Gescanntes Dokument einliefern (idempotent: 201 neu, 200 bereits da)",
    status_code=200,
    request_max_body_size=MAX_DOCUMENT_BODY,
    dependencies=DEVICE_OR_PERSON,
)
async def deliver_document(
    db: DB,
    document_store: DocumentStore,
    principal: Caller,
    device: OptionalDevice,
    sha256: DocumentKey,
    data: JSONBody[DocumentIn],
    ags: ForAgs = None,
) -> Response[Receipt]:
    """A municipality account (bearer token) or an enrolled station (signed)."""
    receipt = await service.receive(
        db, document_store, device or principal, sha256, data, ags=ags
    )
    return Response(receipt, status_code=200 if receipt.duplicate else 201)


@get("/intake/documents/{sha256:str}", summary="Empfangsbestätigung eines Dokuments")
async def get_receipt(db: DB, principal: Caller, sha256: DocumentKey) -> Receipt:
    return await service.receipt(db, principal, sha256)


@get(
    "/intake/documents/{sha256:str}/content",
    summary="Das eingelieferte PDF",
    media_type="application/pdf",
)
async def get_content(
    db: DB, document_store: DocumentStore, principal: Caller, sha256: DocumentKey
) -> Response[bytes]:
    content = await service.content(db, document_store, principal, sha256)
    disposition = f'attachment; filename="{sha256}.pdf"'
    return Response(content, headers={"Content-Disposition": disposition})


@get("/intake/documents", summary="Eingegangene Dokumente der eigenen Kommune")
async def list_documents(
    db: DB, principal: Caller, limit: Limit = 100
) -> list[StoredDocument]:
    return await service.documents(db, principal, limit)


router = Router(
    path="/api/v1",
    route_handlers=[deliver_document, get_receipt, get_content, list_documents],
    tags=["intake"],
)
