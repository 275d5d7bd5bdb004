"""HTTP routes of the document intake context (scanned mail from appliances)."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, put
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import File

from marketplace.dependencies import DB, Caller
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


@put(
    "/intake/documents/{sha256:str}",
    summary="Gescanntes Dokument einliefern (idempotent: 201 neu, 200 bereits da)",
    status_code=200,
    request_max_body_size=MAX_DOCUMENT_BODY,
)
async def deliver_document(
    db: DB, principal: Caller, sha256: DocumentKey, data: JSONBody[DocumentIn]
) -> Response[Receipt]:
    receipt = await service.receive(db, principal, sha256, data)
    return Response(receipt, status_code=200 if receipt.duplicate else 201)


@get("/intake/documents/{sha256:str}", summary="Empfangsbestätigung eines Dokuments")
async def get_receipt(db: DB, principal: Caller, sha256: DocumentKey) -> Receipt:
    return await service.receipt(db, principal, sha256)


@get("/intake/documents/{sha256:str}/content", summary="Das eingelieferte PDF")
async def get_content(db: DB, principal: Caller, sha256: DocumentKey) -> File:
    path = await service.content(db, principal, sha256)
    return File(path, media_type="application/pdf", filename=path.name)


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
