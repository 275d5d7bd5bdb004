"""An S3-compatible server for tests: ``moto_server`` (moto[server], a dev
dependency) as a real process on a free loopback port.

moto is an emulator of AWS's S3 API, not AWS itself and not MinIO: what it
accepts, a real S3 accepts as far as moto's authors followed AWS. Signatures
are checked for real: the server starts with ``INITIAL_NO_AUTH_ACTION_COUNT=3``,
so after the three set-up calls below (an IAM user, its S3 policy, its access
key) every request must carry a valid AWS Signature V4 of a known access key,
or moto refuses it as S3 does (``SignatureDoesNotMatch``,
``InvalidAccessKeyId``). moto does not verify the signed payload hash against
the body (AWS does).

The tests inspect buckets with boto3 (installed with moto), a client
independent of the marketplace's own S3 code.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from tests.appliance.outbox.faults import CuttableProxy
from tests.support.processes import VENV_BIN, LiveProcess, free_port

_BUCKETS = count(1)
_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def available() -> bool:
    return (VENV_BIN / "moto_server").exists()


@dataclass(frozen=True)
class S3Server:
    """A running moto server and the one access key it knows."""

    endpoint: str
    access_key: str
    secret_key: str
    process: LiveProcess

    def client(self, endpoint: str | None = None) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=endpoint or self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def fresh_bucket(self) -> str:
        name = f"docs-{os.getpid()}-{next(_BUCKETS)}"
        self.client().create_bucket(Bucket=name)
        return name

    def url(self, bucket: str, prefix: str = "", endpoint: str | None = None) -> str:
        """The marketplace's ``--object-store`` value for ``bucket``."""
        return f"s3://{bucket}/{prefix}?endpoint={endpoint or self.endpoint}"

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """Every object in ``bucket`` below ``prefix``, read with boto3."""
        s3 = self.client()
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        return {
            item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listed
        }


@contextmanager
def s3_server() -> Iterator[S3Server]:
    folder = Path(tempfile.mkdtemp(prefix="moto-", dir="/tmp"))
    port = free_port()
    process = LiveProcess(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        folder / "moto.log",
        {"INITIAL_NO_AUTH_ACTION_COUNT": "3"},
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait(process, f"{endpoint}/moto-api/")
        access_key, secret_key = _iam_key(endpoint)
        yield S3Server(endpoint, access_key, secret_key, process)
    finally:
        process.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _wait(process: LiveProcess, url: str, timeout: float = 60.0) -> None:
    """Until moto answers its own API (which does not count as an S3 action)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.process.poll() is not None:
            raise RuntimeError(f"moto_server exited:\n{process.output()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"moto_server not ready:\n{process.output()}")


def _iam_key(endpoint: str) -> tuple[str, str]:
    """The three unauthenticated set-up calls: user, S3 policy, access key."""
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam.create_user(UserName="marketplace")
    iam.put_user_policy(
        UserName="marketplace", PolicyName="s3", PolicyDocument=json.dumps(_POLICY)
    )
    key = iam.create_access_key(UserName="marketplace")["AccessKey"]
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


class CountingProxy(CuttableProxy):
    """A cuttable TCP proxy that can also cut itself once ``limit`` bytes went
    from the client to the server: an S3 endpoint that goes away in the middle
    of an upload."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.upstream_bytes = 0
        self._limit: int | None = None
        self._count_lock = threading.Lock()

    def cut_after(self, limit: int) -> None:
        with self._count_lock:
            self.upstream_bytes = 0
            self._limit = limit

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            upstream = source.getsockname()[1] == self.port  # from the client
        except OSError:  # cut before this pump began: the loop below ends at once
            upstream = False
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                if upstream and self._counted(len(data)):
                    self.cut()
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open.difference_update({source, sink})

    def _counted(self, size: int) -> bool:
        with self._count_lock:
            self.upstream_bytes += size
            if self._limit is not None and self.upstream_bytes >= self._limit:
                self._limit = None
                return True
            return False
