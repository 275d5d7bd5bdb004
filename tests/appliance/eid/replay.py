"""Replays recorded AusweisApp SDK conversations over a real WebSocket.

What follows the eID server's EAC1 (access rights, PIN/CAN/PUK, the result) needs a
state-certified eID server and a real card, neither of which runs here. The
recordings in ``recordings/`` hold those SDK messages as the SDK documentation
shows them (commands expected from the appliance, messages AusweisApp answers);
this server plays AusweisApp's side and records every deviation. A step with
``"after"`` instead of ``"cmd"`` is sent on its own after that many seconds (the
citizen putting the card on the reader).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve

RECORDINGS = Path(__file__).parent / "recordings"
API_LEVEL = {"msg": "API_LEVEL", "available": [1, 2], "current": 2}


class Replay:
    def __init__(self, name: str, **values: str) -> None:
        text = (RECORDINGS / f"{name}.json").read_text()
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        self.steps: list[dict[str, Any]] = json.loads(text)["steps"]
        self.position = 0
        self.deviations: list[str] = []
        self.commands: list[dict[str, Any]] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def finished(self) -> bool:
        return self.position == len(self.steps) and not self.deviations

    async def __aenter__(self) -> Replay:
        """Serves from its own thread: the page under test may block the loop."""
        self._server = serve(self._handle, "127.0.0.1", 0)
        port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/eID-Kernel"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)

    def _handle(self, ws: ServerConnection) -> None:
        for raw in ws:
            command = json.loads(raw)
            if command["cmd"] in ("GET_API_LEVEL", "SET_API_LEVEL"):
                ws.send(json.dumps(API_LEVEL))
                continue
            self.commands.append(command)
            if self.position >= len(self.steps):
                self.deviations.append(f"unexpected {command}")
                continue
            step = self.steps[self.position]
            if step.get("cmd") != command:
                self.deviations.append(f"expected {step.get('cmd')}, got {command}")
                return
            self.position += 1
            self._reply(ws, step)

    def _reply(self, ws: ServerConnection, step: dict[str, Any]) -> None:
        for message in step["reply"]:
            ws.send(json.dumps(message))
        while self.position < len(self.steps) and "after" in self.steps[self.position]:
            follow = self.steps[self.position]
            self.position += 1
            time.sleep(follow["after"])
            for message in follow["reply"]:
                ws.send(json.dumps(message))
