"""The OpenAPI document tells the truth about errors: every operation may answer
with an RFC 9457 problem (``application/problem+json``), described once as the
``Problem`` component."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)

from marketplace.problems import PROBLEM_JSON

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 Problem Details, mit deutscher Beschreibung in „detail“.",
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
    },
)
_PROBLEM = {
    PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))
}
_ERRORS = {
    "400": "Fehlerhafte Anfrage",
    "401": "Anmeldung erforderlich",
    "403": "Keine Berechtigung",
    "404": "Nicht gefunden",
    "409": "Konflikt mit dem aktuellen Zustand",
    "413": "Anfrage zu groß",
    "422": "Ungültige Eingabe",
    "500": "Interner Fehler",
}


def document_problems(app: Litestar) -> None:
    """Replace Litestar's generic error responses with the problem responses."""
    document = app.openapi_schema
    components = document.components or Components()
    components.schemas = {**(components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    document.components = components
    for item in (document.paths or {}).values():
        for method in ("get", "put", "post", "patch", "delete"):
            operation: Operation | None = getattr(item, method, None)
            if operation is not None:
                _add_problem_responses(operation)


def _add_problem_responses(operation: Operation) -> None:
    responses = operation.responses if operation.responses is not None else {}
    for status, description in _ERRORS.items():
        responses[status] = OpenAPIResponse(description=description, content=_PROBLEM)
    operation.responses = responses
