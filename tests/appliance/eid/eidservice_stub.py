"""A local stand-in for the municipality's eID service (only the parts we can run).

It serves the TC token (TR-03124-1 2.6) that AusweisApp fetches after RUN_AUTH,
and it listens where the token says the eID server is. A real eID server needs an
authorization certificate issued under the state's PKI (and TLS-PSK with the
session key); that cannot run here, so the listener only records that AusweisApp
came, with a TLS ClientHello, and hangs up. This is exactly the point where a
state-certified eID server would take over.

It also serves the result endpoint the appliance reads after a successful
authentication (``/result?refID=...``, JSON), with whatever attributes the test
puts in ``results``: the appliance has to filter them.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TC_TOKEN = """<?xml version="1.0" encoding="UTF-8"?>
<TCTokenType>
  <ServerAddress>https://127.0.0.1:{server_port}/paos</ServerAddress>
  <SessionIdentifier>{session}</SessionIdentifier>
  <RefreshAddress>http://127.0.0.1:{port}/refresh?refID={session}</RefreshAddress>
  <CommunicationErrorAddress>http://127.0.0.1:{port}/error</CommunicationErrorAddress>
  <Binding>urn:liberty:paos:2006-08</Binding>
  <PathSecurity-Protocol>urn:ietf:rfc:4279</PathSecurity-Protocol>
  <PathSecurity-Parameters>
    <PSK>4BC1A0B5E0B22A5A0E1C6F2A4F5E3D2C1B0A99887766554433221100FFEEDDCC</PSK>
  </PathSecurity-Parameters>
</TCTokenType>
"""


class EidServiceStub:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.client_hellos: list[bytes] = []
        self.results: dict[str, dict[str, object]] = {}
        self._eid_server = socket.create_server(("127.0.0.1", 0))
        self.server_port = self._eid_server.getsockname()[1]
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._http.server_address[1]
        self._threads = [
            threading.Thread(target=self._http.serve_forever, daemon=True),
            threading.Thread(target=self._accept, daemon=True),
        ]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> EidServiceStub:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._eid_server.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._eid_server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.client_hellos.append(conn.recv(4096))
                except OSError:
                    self.client_hellos.append(b"")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append(self.path)
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if url.path == "/tcToken":
                    session = query.get("session", ["0815"])[0]
                    body = TC_TOKEN.format(
                        server_port=stub.server_port, port=stub.port, session=session
                    ).encode()
                    self._answer(200, "text/xml", body)
                elif (
                    url.path == "/result"
                    and query.get("refID", [""])[0] in stub.results
                ):
                    body = json.dumps(stub.results[query["refID"][0]]).encode()
                    self._answer(200, "application/json", body)
                else:
                    self._answer(404, "text/plain", b"not found")

            def _answer(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
