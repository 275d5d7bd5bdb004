"""The station's AusweisApp address in the page test: a WebSocket relay that
passes each new connection on to whatever ``target`` is set to at that moment,
first the real AusweisApp, then the replay of recorded SDK messages."""

from __future__ import annotations

import threading

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.server import Server, ServerConnection, serve


class SdkRelay:
    def __init__(self) -> None:
        self.target = ""
        self.relayed: list[str] = []  # the target of each connection, in order
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def __enter__(self) -> SdkRelay:
        self._server = serve(self._handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/eID-Kernel"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)

    def _handle(self, downstream: ServerConnection) -> None:
        self.relayed.append(self.target)
        with connect(self.target, max_size=None) as upstream:
            back = threading.Thread(
                target=_pump, args=(upstream, downstream), daemon=True
            )
            back.start()
            _pump(downstream, upstream)
            back.join(5)


def _pump(source: object, sink: object) -> None:
    """Copy messages until either side closes, then close the other."""
    try:
        for message in source:  # type: ignore[attr-defined]
            sink.send(message)  # type: ignore[attr-defined]
    except ConnectionClosed:
        pass
    finally:
        sink.close()  # type: ignore[attr-defined]
