"""The German delivery pages: a municipality adds a route, presses
"Testzustellung", sees the receipt, retries a dead letter and reads its transfer
log; all through forms with the CSRF token, like a browser."""

from __future__ import annotations

from pathlib import Path

from tests.connectors.conftest import Receiver
from tests.marketplace.contracts.flow import Client
from tests.marketplace.web.conftest import csrf_token

from .flow import Subscribed, settings_for, settled, submit

HTML = {"Accept": "text/html"}


async def login(client: Client) -> None:
    shown = await client.get("/anmelden", headers=HTML)
    answer = await client.post(
        "/anmelden",
        data={
            "login": "leipzig",
            "password": "correct-horse",
            "_csrf_token": csrf_token(shown.text),
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


async def post_form(
    client: Client, page: str, action: str, fields: dict[str, str]
) -> None:
    shown = await client.get(page, headers=HTML)
    assert shown.status_code == 200, shown.text
    answer = await client.post(
        action,
        data={**fields, "_csrf_token": csrf_token(shown.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


async def test_municipality_manages_routes_and_retries_on_the_page(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver, tmp_path: Path
) -> None:
    """GIVEN Leipzig's buyer logged in on the delivery page of its subscription
    WHEN she adds a webhook route by form, presses "Testzustellung", and retries a
    dead letter after the receiver stopped rejecting
    THEN the route shows without its secret, the probe's receipt is shown, the
    dead letter disappears after the retry, and the transfer log page lists them."""
    await login(client)
    url = f"/abonnements/{leipzig.id}/zustellung"
    settings = settings_for("webhook", webhook_receiver, None)
    form = {"kind": "webhook", "name": "Gewerbeamt", "environment": "production"}
    form |= {f"setting.{k}": str(v) for k, v in settings.items()}
    await post_form(client, url, f"/abonnements/{leipzig.id}/routen", form)
    shown = await client.get(url, headers=HTML)
    assert "Gewerbeamt" in shown.text
    assert settings["secret"] not in shown.text
    route_id = (
        await client.get(f"{leipzig.base}/routes", headers=leipzig.owner)
    ).json()[0]["id"]
    await post_form(
        client, url, f"/abonnements/{leipzig.id}/routen/{route_id}/testzustellung", {}
    )
    await settled(client, leipzig, expect=1)
    shown = await client.get(url, headers=HTML)
    assert "Testzustellung" in shown.text
    assert "Quittung" in shown.text
    webhook_receiver.faults(reject_reason="Gewerbeart fehlt")
    await submit(client, leipzig)
    items = await settled(client, leipzig, expect=2)
    [dead] = [i for i in items if i["state"] == "dead"]
    shown = await client.get(url, headers=HTML)
    assert "Gewerbeart fehlt" in shown.text
    assert 'class="dead-letter"' in shown.text
    webhook_receiver.faults()
    await post_form(
        client, url, f"/abonnements/{leipzig.id}/auftraege/{dead['id']}/wiederholen", {}
    )
    items = await settled(client, leipzig, expect=2)
    assert {i["state"] for i in items} == {"delivered"}
    assert 'class="dead-letter"' not in (await client.get(url, headers=HTML)).text
    await post_form(
        client,
        url,
        f"/abonnements/{leipzig.id}/routen/{route_id}",
        {"action": "disable"},
    )
    routes = (await client.get(f"{leipzig.base}/routes", headers=leipzig.owner)).json()
    assert routes[0]["enabled"] is False
    log = await client.get("/kommune/protokoll", headers=HTML)
    assert log.status_code == 200
    # the probe, the rejection and the delivery after the retry
    assert log.text.count('class="log-entry"') == 3
    assert "Testzustellung (Prüfung der Route)" in log.text


async def test_strangers_do_not_see_the_delivery_page(
    client: Client, leipzig: Subscribed
) -> None:
    """GIVEN Dresden's buyer
    WHEN she asks for Leipzig's delivery page or its API routes
    THEN 404 both times, as if the subscription did not exist."""
    url = f"/abonnements/{leipzig.id}/zustellung"
    assert (await client.get(url, headers=leipzig.parties.dresden)).status_code == 404
    api = await client.get(f"{leipzig.base}/routes", headers=leipzig.parties.dresden)
    assert api.status_code == 404
