"""Cost model wire types: composable components, all money in integer cents.

A cost model is a list of components; each is a tagged struct so a JSON document
names its kind (``{"kind": "per_case", ...}``). These shapes are shared by the
catalog (offers store their model as JSON) and the calculator. New fields get
defaults; existing fields never change type.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

Cents = Annotated[int, Meta(ge=0, le=100_000_000_000)]  # up to one billion euros
Label = Annotated[str, Meta(min_length=1, max_length=120)]


class _Component(
    msgspec.Struct,
    kw_only=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag_field="kind",
):
    label: Label


class OneOffFee(_Component, frozen=True, tag="one_off"):
    """Onboarding or connection fee, charged once in the first year."""

    amount_cents: Cents


class AnnualFlatFee(_Component, frozen=True, tag="annual_flat"):
    """The same amount every year, whatever the size of the municipality."""

    amount_cents: Cents


class PerInhabitant(_Component, frozen=True, tag="per_inhabitant"):
    """Annual price per inhabitant, given per 1,000 inhabitants to allow fractions
    of a cent per person; optional floor and cap on the resulting annual amount."""

    cents_per_1000_inhabitants: Cents
    minimum_cents: Cents = 0
    maximum_cents: Cents | None = None


class CaseTier(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Price per case for the cases up to ``up_to`` (inclusive); ``None`` is the
    open-ended last tier. Tiers are graduated: each case is priced by its tier."""

    up_to: Annotated[int, Meta(ge=1, le=100_000_000)] | None = None
    cents_per_case: Cents


class PerCase(_Component, frozen=True, tag="per_case"):
    """Annual price by expected case numbers (Fallzahl), graduated tiers.

    ``included_cases`` are free; the cases after them are priced tier by tier.
    When a caller gives no case number, ``estimated_cases_per_1000_inhabitants``
    estimates one from the population (0: no estimate, no per-case cost).
    """

    tiers: Annotated[list[CaseTier], Meta(min_length=1, max_length=20)]
    included_cases: Annotated[int, Meta(ge=0, le=100_000_000)] = 0
    estimated_cases_per_1000_inhabitants: Annotated[int, Meta(ge=0, le=1_000_000)] = 0


class LandShare(_Component, frozen=True, tag="land_share"):
    """A total for all Länder, split across Länder by the Königsteiner Schlüssel
    and within a Land across its municipalities by population. When the Land pays
    (``land_pays``) the municipality's price is zero: "kostenneutral für Kommunen"."""

    annual_total_cents: Cents
    key_year: Annotated[int, Meta(ge=2000, le=2100)] | None = None  # None: newest
    land_pays: bool = False


Component = OneOffFee | AnnualFlatFee | PerInhabitant | PerCase | LandShare


class CostModel(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """An offer's price: the sum of its components. ``note`` explains what is not
    in the price (connection, Fachverfahren licence, portal embedding)."""

    components: Annotated[list[Component], Meta(min_length=1, max_length=12)]
    note: Annotated[str, Meta(max_length=2000)] = ""


class QuoteItem(msgspec.Struct, kw_only=True, frozen=True):
    """One component's share of a quote, with a German explanation of the sum."""

    kind: str
    label: str
    annual_cents: int
    one_off_cents: int = 0
    paid_by_land_cents: int = 0
    explanation: str = ""


class Quote(msgspec.Struct, kw_only=True, frozen=True):
    """What one municipality pays: every year, and in the first year (with one-off fees).

    ``cost_neutral`` means the municipality pays no running costs because the Land
    does (one-off connection fees may remain).
    """

    ags: str | None
    population: int
    expected_cases: int
    annual_cents: int
    first_year_cents: int
    items: list[QuoteItem]
    cost_neutral: bool


class QuoteRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Price an ad-hoc cost model for a municipality (providers trying out a model)."""

    cost_model: CostModel
    ags: Annotated[str, Meta(pattern=r"^[0-9]{8}$")]
    expected_cases: Annotated[int, Meta(ge=0, le=100_000_000)] | None = None


class KeyShare(msgspec.Struct, kw_only=True, frozen=True):
    land_code: str
    abbreviation: str
    share_percent: str  # exact decimal text, e.g. "12.96662"


class DistributionKey(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    year: int
    source: str
    shares: list[KeyShare]
