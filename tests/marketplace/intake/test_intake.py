"""The intake API: authenticated delivery, idempotency by hash, refusal of bad bytes."""

from __future__ import annotations

import asyncio

from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount, StoredBodies

from .samples import body, letter_pdf, sha256

URL = "/api/v1/intake/documents"
LEIPZIG = "14713000"


async def buyer(make_account: MakeAccount, ags: str = LEIPZIG) -> dict[str, str]:
    return await make_account(
        f"post-{ags}", Role.MUNICIPALITY_BUYER, municipality_ags=ags
    )


async def test_document_is_stored_once_however_often_it_arrives(
    client: AsyncTestClient[Litestar],
    make_account: MakeAccount,
    stored_bodies: StoredBodies,
) -> None:
    """GIVEN a municipality's token and a PDF
    WHEN the PDF is delivered three times
    THEN 201 then 200 twice with the same receipt, one row, one file, 3 deliveries."""
    auth = await buyer(make_account)
    pdf = letter_pdf(1)
    key = sha256(pdf)
    answers = [
        await client.put(f"{URL}/{key}", json=body(pdf), headers=auth) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 200, 200]
    receipts = [a.json() for a in answers]
    assert len({r["receipt_id"] for r in receipts}) == 1
    assert [r["duplicate"] for r in receipts] == [False, True, True]
    assert receipts[-1]["deliveries"] == 3
    listed = (await client.get(URL, headers=auth)).json()
    assert [d["sha256"] for d in listed] == [key]
    assert stored_bodies() == {f"intake/{LEIPZIG}/{key[:2]}/{key}.pdf": pdf}
    content = await client.get(f"{URL}/{key}/content", headers=auth)
    assert content.content == pdf


async def test_concurrent_deliveries_of_one_document_store_it_once(
    client: AsyncTestClient[Litestar],
    make_account: MakeAccount,
    stored_bodies: StoredBodies,
) -> None:
    """GIVEN ten concurrent deliveries of one PDF
    WHEN they all complete
    THEN exactly one was new, one row and one file exist, 10 deliveries counted."""
    auth = await buyer(make_account)
    pdf = letter_pdf(2)
    key = sha256(pdf)
    answers = await asyncio.gather(
        *(client.put(f"{URL}/{key}", json=body(pdf), headers=auth) for _ in range(10))
    )
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201]
    receipt = (await client.get(f"{URL}/{key}", headers=auth)).json()
    assert receipt["deliveries"] == 10
    assert list(stored_bodies().values()) == [pdf]  # no second copy, no temp file


async def test_bytes_that_do_not_match_the_hash_are_refused(
    client: AsyncTestClient[Litestar],
    make_account: MakeAccount,
    stored_bodies: StoredBodies,
) -> None:
    """GIVEN a PDF truncated on the way, and a non-PDF with its correct hash
    WHEN delivered
    THEN 422 with a German explanation and nothing stored."""
    auth = await buyer(make_account)
    pdf = letter_pdf(3)
    truncated = await client.put(
        f"{URL}/{sha256(pdf)}", json=body(pdf[:-100]), headers=auth
    )
    assert truncated.status_code == 422
    assert "Prüfsumme passt nicht" in truncated.json()["detail"]
    assert truncated.json()["actual"] == sha256(pdf[:-100])
    text = b"Hallo, kein PDF"
    not_pdf = await client.put(f"{URL}/{sha256(text)}", json=body(text), headers=auth)
    assert not_pdf.status_code == 422
    assert "kein PDF" in not_pdf.json()["detail"]
    assert (await client.get(URL, headers=auth)).json() == []
    assert stored_bodies() == {}


async def test_only_the_municipalitys_buyer_accounts_may_deliver(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN no token, a revoked-looking token, and a provider admin
    WHEN they deliver
    THEN 401, 401 and 403, and nothing is stored."""
    pdf = letter_pdf(4)
    url = f"{URL}/{sha256(pdf)}"
    provider = await make_account("anbieter", Role.PROVIDER_ADMIN, provider_id="lecos")
    anonymous = await client.put(url, json=body(pdf))
    unknown = await client.put(
        url, json=body(pdf), headers={"Authorization": "Bearer mpt_unbekannt"}
    )
    foreign = await client.put(url, json=body(pdf), headers=provider)
    assert [anonymous.status_code, unknown.status_code, foreign.status_code] == [
        401,
        401,
        403,
    ]
    auth = await buyer(make_account)
    assert (await client.get(URL, headers=auth)).json() == []


async def test_municipalities_see_only_their_own_documents(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN Leipzig and Dresden deliver the same PDF
    WHEN each asks for it
    THEN each has its own receipt; neither sees the other's list."""
    leipzig = await buyer(make_account)
    dresden = await buyer(make_account, "14612000")
    pdf = letter_pdf(5)
    key = sha256(pdf)
    first = await client.put(f"{URL}/{key}", json=body(pdf), headers=leipzig)
    second = await client.put(f"{URL}/{key}", json=body(pdf), headers=dresden)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["receipt_id"] != second.json()["receipt_id"]
    assert len((await client.get(URL, headers=dresden)).json()) == 1


async def test_unknown_metadata_fields_and_bad_keys_are_refused(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN a body with an unknown field, and a key that is not a SHA-256
    WHEN delivered
    THEN 400 for both, nothing stored."""
    auth = await buyer(make_account)
    pdf = letter_pdf(6)
    extra = body(pdf, colour="blau")
    assert (
        await client.put(f"{URL}/{sha256(pdf)}", json=extra, headers=auth)
    ).status_code == 400
    assert (
        await client.put(f"{URL}/ABC", json=body(pdf), headers=auth)
    ).status_code == 400
    assert (await client.get(URL, headers=auth)).json() == []


async def test_documents_above_the_general_body_limit_are_accepted(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN a 40-page scanned PDF larger than the app's 1 MiB default body limit
    WHEN delivered
    THEN it is stored (the intake route has its own, larger limit)."""
    auth = await buyer(make_account)
    pdf = letter_pdf(7, pages=40) + b"\n%" + b"0" * 1_200_000
    response = await client.put(f"{URL}/{sha256(pdf)}", json=body(pdf), headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == len(pdf)
