"""The scan station driven like an operator does: log in on its page, start a
batch from the input folder, watch its progress (``/api/stapel/{id}``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx

from marketplace.demo.flow.config import PROFILE, STATION_PASSWORD, STATION_USER

_STAGES = {
    "capture": "Erfassen",
    "clean": "Bereinigen und Barcodes",
    "ocr": "Texterkennung",
    "pdf": "PDF/A mit Transfervermerk",
}


class FlowError(Exception):
    """The demo flow cannot go on; the message says why (German)."""


class StationClient:
    """A logged-in session on the station's page."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        answer = self._post_form(
            "/anmelden", {"name": STATION_USER, "password": STATION_PASSWORD}
        )
        if answer.headers.get("location") != "/":
            raise FlowError("Anmeldung an der Scanstation fehlgeschlagen.")

    def _post_form(self, path: str, data: dict[str, str]) -> httpx.Response:
        page = self.http.get("/anmelden" if path == "/anmelden" else "/")
        found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        if found is None:
            raise FlowError(f"Die Stationsseite {path} hat kein Formular-Token.")
        answer = self.http.post(path, data={**data, "_csrf_token": found[1]})
        if answer.status_code != 303:
            raise FlowError(f"Station: {path} antwortete {answer.status_code}.")
        return answer

    def start_batch(self) -> str:
        """A batch from the input folder with the demo's scan profile."""
        answer = self._post_form("/stapel", {"profile": PROFILE, "source": "folder"})
        target = urlsplit(answer.headers["location"])
        if not target.path.startswith("/stapel/"):
            error = parse_qs(target.query).get("fehler", ["unbekannter Fehler"])[0]
            raise FlowError(f"Die Station hat den Stapel nicht begonnen: {error}")
        return target.path.removeprefix("/stapel/")

    def wait_batch(
        self, batch_id: str, timeout: float, say: Callable[[str], None]
    ) -> dict[str, object]:
        """The batch's final status ("done" or "failed"); ``say`` hears each stage."""
        deadline = time.monotonic() + timeout
        stage = ""
        while time.monotonic() < deadline:
            status: dict[str, object] = self.http.get(f"/api/stapel/{batch_id}").json()
            if status["state"] not in ("running", "unknown"):
                return status
            if status.get("stage") and status["stage"] != stage:
                stage = str(status["stage"])
                say(f"  Station: {_STAGES.get(stage, stage)}")
            time.sleep(0.25)
        raise FlowError(f"Der Stapel {batch_id} ist nach {timeout:.0f} s nicht fertig.")

    def close(self) -> None:
        self.http.close()
