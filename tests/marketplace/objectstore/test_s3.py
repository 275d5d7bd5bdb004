"""The S3 store's failures and settings against moto (an AWS S3 emulator run as
a real process that checks signatures): wrong secret, unknown access key, no
bucket and an endpoint that is down each become one clear German message that
names the cause and never the secret; ``marketplace serve`` refuses to start on
such a store."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from marketplace.cli import main
from marketplace.objectstore import (
    FileStore,
    StoreConfigError,
    StoreUnavailable,
    intake_key,
    object_store_for,
)
from marketplace.objectstore.s3 import S3Location, S3Store
from marketplace.objectstore.sigv4 import Credentials
from marketplace.settings import Settings
from tests.support.processes import free_port
from tests.support.s3 import S3Server

from .conftest import s3_store

PDF = b"%PDF-1.7\n% Brief\n%%EOF\n"
SHA = hashlib.sha256(PDF).hexdigest()
KEY = intake_key("14713000", SHA)
WRONG_SECRET = "falsches-Geheimnis-0815"


async def failure(store: S3Store) -> list[StoreUnavailable]:
    """What put, get and check each raise."""
    caught = []
    for attempt in (
        store.put(KEY, PDF, sha256=SHA, content_type="application/pdf"),
        store.get(KEY, sha256=SHA),
        store.check(),
    ):
        with pytest.raises(StoreUnavailable) as raised:
            await attempt
        caught.append(raised.value)
    await store.close()
    return caught


async def test_a_wrong_secret_is_named_and_never_shown(
    s3: S3Server, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN the right access key with a wrong secret
    WHEN storing, reading and checking
    THEN each is refused with SignatureDoesNotMatch in a German sentence, the
    bucket stays empty, and neither messages nor logs contain the secret."""
    caplog.set_level(logging.DEBUG)
    errors = await failure(s3_store(s3, bucket, secret=WRONG_SECRET))
    for error in errors:
        assert error.cause == (
            "Die Dokumentablage (S3) lehnt den geheimen Schlüssel ab "
            "(SignatureDoesNotMatch)."
        )
        assert error.detail.endswith("Bitte später erneut versuchen.")
        assert error.reachable
        assert error.status_code == 503
    assert s3.objects(bucket) == {}
    assert "SignatureDoesNotMatch" in caplog.text
    assert WRONG_SECRET not in caplog.text
    assert s3.secret_key not in caplog.text


async def test_an_unknown_access_key_is_named(s3: S3Server, bucket: str) -> None:
    """GIVEN an access key the server does not know
    WHEN storing
    THEN refused with InvalidAccessKeyId, in German."""
    location = S3Location.parse(s3.url(bucket))
    store = S3Store(location, Credentials("AKIAUNBEKANNT0000000", "x"))
    [put, _, _] = await failure(store)
    assert "kennt den Zugangsschlüssel nicht (InvalidAccessKeyId)" in put.cause


async def test_a_missing_bucket_is_named(s3: S3Server) -> None:
    """GIVEN a bucket that does not exist
    WHEN storing, reading and checking
    THEN each is refused with NoSuchBucket (a missing bucket is not a missing
    document: the delivery retries instead of giving the document up)."""
    errors = await failure(s3_store(s3, "gibt-es-nicht"))
    assert {e.cause for e in errors} == {
        "Die Dokumentablage (S3) hat den Bucket nicht (NoSuchBucket)."
    }


async def test_an_endpoint_that_is_down_is_unreachable(s3: S3Server) -> None:
    """GIVEN an endpoint where nothing listens
    WHEN storing, reading and checking
    THEN each says the store is not reachable, marked as not reachable."""
    down = f"http://127.0.0.1:{free_port()}"
    location = S3Location.parse(s3.url("docs", endpoint=down))
    errors = await failure(S3Store(location, Credentials("a", "b")))
    for error in errors:
        assert error.cause == (
            "Die Dokumentablage (S3) ist nicht erreichbar (ConnectError)."
        )
        assert not error.reachable


async def test_the_prefix_and_content_type_are_kept(s3: S3Server, bucket: str) -> None:
    """GIVEN a store URL with a prefix
    WHEN a PDF is stored
    THEN the object lies under prefix + key with content type application/pdf."""
    store = s3_store(s3, bucket, prefix="knoten-1/dokumente")
    await store.put(KEY, PDF, sha256=SHA, content_type="application/pdf")
    assert s3.objects(bucket) == {f"knoten-1/dokumente/{KEY}": PDF}
    head = s3.client().head_object(Bucket=bucket, Key=f"knoten-1/dokumente/{KEY}")
    assert head["ContentType"] == "application/pdf"
    assert await store.get(KEY, sha256=SHA) == PDF
    await store.close()


async def test_listing_and_deleting_stay_below_the_prefix(
    s3: S3Server, bucket: str
) -> None:
    """GIVEN two nodes sharing a bucket under the prefixes knoten-1 and knoten-2,
    each with the same letter
    WHEN node 1 lists ``intake/`` and deletes the letter
    THEN it lists its key without the prefix, and only its object is gone."""
    one = s3_store(s3, bucket, prefix="knoten-1")
    two = s3_store(s3, bucket, prefix="knoten-2")
    for store in (one, two):
        await store.put(KEY, PDF, sha256=SHA, content_type="application/pdf")
    assert [o.key async for o in one.list("intake/")] == [KEY]
    await one.delete(KEY)
    assert s3.objects(bucket) == {f"knoten-2/{KEY}": PDF}
    assert [o.key async for o in one.list("intake/")] == []
    for store in (one, two):
        await store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://Gross_Buchstaben/", "keine gültige Angabe"),
        ("http://bucket/", "keine gültige Angabe"),
        ("s3://docs/a?endpoint=ftp://x", r"keine http\(s\)-URL"),
        ("s3://docs/../x", "darf nur"),
    ],
)
def test_unusable_urls_are_refused_in_german(url: str, message: str) -> None:
    """GIVEN an --object-store value that cannot work
    WHEN parsed
    THEN StoreConfigError with a German explanation."""
    with pytest.raises(StoreConfigError, match=message):
        S3Location.parse(url)


def test_urls_default_to_aws_and_us_east_1() -> None:
    """GIVEN URLs with and without endpoint and region
    WHEN parsed
    THEN the endpoint defaults to AWS's regional one, the prefix ends in /."""
    plain = S3Location.parse("s3://docs")
    assert (plain.endpoint, plain.region, plain.prefix) == (
        "https://s3.us-east-1.amazonaws.com",
        "us-east-1",
        "",
    )
    full = S3Location.parse("s3://docs/a/b/?endpoint=http://h:9000/&region=eu-1")
    assert (full.endpoint, full.region, full.prefix) == (
        "http://h:9000",
        "eu-1",
        "a/b/",
    )


def test_settings_take_the_aws_names_and_hide_secrets(tmp_path: Path) -> None:
    """GIVEN credentials under the AWS standard names, and none at all
    WHEN settings and the store are built
    THEN the S3 store gets them and repr shows none; without them a German
    error names the variables; without a URL the folder beside --db is used."""
    environ = {
        "MARKETPLACE_OBJECT_STORE": "s3://docs/?endpoint=http://127.0.0.1:1",
        "AWS_ACCESS_KEY_ID": "AKIAUMGEBUNG",
        "AWS_SECRET_ACCESS_KEY": "geheim-aus-der-umgebung",
    }
    settings = Settings.from_environ(environ)
    assert settings.s3_secret_key == "geheim-aus-der-umgebung"
    assert "geheim" not in repr(settings)
    assert "AKIAUMGEBUNG" not in repr(settings)
    store = object_store_for(settings)
    assert isinstance(store, S3Store)
    assert "geheim" not in str(store)
    with pytest.raises(StoreConfigError, match="MARKETPLACE_S3_SECRET_KEY"):
        object_store_for(
            Settings.from_environ({"MARKETPLACE_OBJECT_STORE": "s3://docs"})
        )
    folder = object_store_for(Settings(db_path=tmp_path / "mp.sqlite3"))
    assert isinstance(folder, FileStore)
    assert folder.root == tmp_path


@pytest.mark.parametrize(
    ("secret", "bucket_name", "cause"),
    [
        (WRONG_SECRET, None, "lehnt den geheimen Schlüssel ab (SignatureDoesNotMatch)"),
        (None, "gibt-es-nicht", "hat den Bucket nicht (NoSuchBucket)"),
    ],
    ids=["wrong-secret", "no-bucket"],
)
def test_serve_refuses_to_start_on_a_store_that_refuses_it(
    s3: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: str | None,
    bucket_name: str | None,
    cause: str,
) -> None:
    """GIVEN ``marketplace --object-store s3://...`` with a wrong secret, or a
    bucket that does not exist
    WHEN ``serve`` starts
    THEN it exits 1 before listening, with "Fehler: " and the cause in German,
    naming the store but not the secret."""
    monkeypatch.setenv("MARKETPLACE_S3_ACCESS_KEY", s3.access_key)
    monkeypatch.setenv("MARKETPLACE_S3_SECRET_KEY", secret or s3.secret_key)
    url = s3.url(bucket_name or s3.fresh_bucket())
    argv = ["--db", str(tmp_path / "mp.sqlite3"), "--object-store", url]
    code = main([*argv, "serve", "--port", str(free_port())])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"Fehler: Die Dokumentablage (S3) {cause}.")
    assert "Dokumentablage: s3://" in err
    assert WRONG_SECRET not in err
    assert s3.secret_key not in err
