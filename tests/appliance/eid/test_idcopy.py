"""ID copies in the mail: marked as copy, routed to a person, redacted on request."""

from __future__ import annotations

from PIL import Image

from appliance.eid.idcopy import CAN_BOX, PHOTO_BOX, CardOutline, mark_as_copy, redact
from appliance.model import RoutingDecision


def test_an_id_copy_is_never_routed_automatically() -> None:
    """GIVEN a routing decision that found an ID copy but was confident of a route
    WHEN the eID rules apply
    THEN it needs review by a person, has no automatic route, and says why."""
    decision = RoutingDecision(
        office="Bürgeramt",
        route="fv-melde",
        confidence=0.97,
        method="barcode",
        needs_review=False,
        id_copy=True,
    )
    marked = mark_as_copy(decision)
    assert marked.needs_review
    assert marked.route is None
    assert "§ 20 PAuswG" in marked.reason
    plain = RoutingDecision(office="Bürgeramt", needs_review=False)
    assert mark_as_copy(plain) == plain


def test_photo_and_can_areas_are_blacked_out_and_the_rest_kept() -> None:
    """GIVEN a white page with a card outline on it
    WHEN the photo and the CAN are redacted
    THEN the centres of both areas are black, a point outside them is unchanged,
    and the original image object is left as it was."""
    page = Image.new("RGB", (1000, 800), "white")
    card = CardOutline(left=100, top=100, right=100 + 856, bottom=100 + 540)
    out = redact(page, card)

    def centre(box: tuple[float, float, float, float]) -> tuple[int, int]:
        x = card.left + int((box[0] + box[2]) / 2 * 856)
        y = card.top + int((box[1] + box[3]) / 2 * 540)
        return x, y

    assert out.getpixel(centre(PHOTO_BOX)) == (0, 0, 0)
    assert out.getpixel(centre(CAN_BOX)) == (0, 0, 0)
    assert out.getpixel((500, 400)) == (255, 255, 255)
    assert page.getpixel(centre(PHOTO_BOX)) == (255, 255, 255)
    only_can = redact(page, card, photo=False)
    assert only_can.getpixel(centre(PHOTO_BOX)) == (255, 255, 255)
