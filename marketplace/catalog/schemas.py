"""Catalog wire types: Länder, providers, municipalities, services, offers, search."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from marketplace.costs.schemas import CostModel, Quote

AGS = Annotated[
    str, Meta(pattern=r"^[0-9]{8}$", description="Amtlicher Gemeindeschlüssel")
]
LeikaKey = Annotated[
    str, Meta(pattern=r"^99[0-9]{12}$", description="LeiKa-Leistungsschlüssel")
]
LandCode = Annotated[str, Meta(pattern=r"^(0[1-9]|1[0-6])$")]
ProviderId = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Text = Annotated[str, Meta(max_length=20_000)]
Population = Annotated[int, Meta(ge=0, le=20_000_000)]


class ProviderKind(enum.StrEnum):
    LAND = "land"
    PUBLIC_IT_PROVIDER = "public_it_provider"
    FITKO = "fitko"
    GOVDIGITAL = "govdigital"
    PRIVATE_VENDOR = "private_vendor"


class MunicipalityKind(enum.StrEnum):
    STADTSTAAT = "stadtstaat"
    KREISFREIE_STADT = "kreisfreie_stadt"
    LANDKREIS = "landkreis"
    GEMEINDE = "gemeinde"


class TrustLevel(enum.StrEnum):
    NONE = "keine"
    BASIC = "basisregistrierung"
    SUBSTANTIAL = "substantiell"
    HIGH = "hoch"


class LegalRoute(enum.StrEnum):
    FIT_STORE = "fit_store"
    GOVDIGITAL = "govdigital"
    NRW_INTERMEDIARY = "nrw_intermediary"
    ADMINISTRATIVE_AGREEMENT = "administrative_agreement"
    DIRECT = "direct"


LEGAL_ROUTE_LABELS = {
    LegalRoute.FIT_STORE: "FIT-Store (FITKO)",
    LegalRoute.GOVDIGITAL: "govdigital eG",
    LegalRoute.NRW_INTERMEDIARY: "NRW-Intermediärsmodell",
    LegalRoute.ADMINISTRATIVE_AGREEMENT: "Verwaltungsvereinbarung",
    LegalRoute.DIRECT: "Direktvertrag",
}

PROVIDER_KIND_LABELS = {
    ProviderKind.LAND: "Land",
    ProviderKind.PUBLIC_IT_PROVIDER: "Öffentlicher IT-Dienstleister",
    ProviderKind.FITKO: "FITKO",
    ProviderKind.GOVDIGITAL: "govdigital",
    ProviderKind.PRIVATE_VENDOR: "Privater Anbieter",
}


MUNICIPALITY_KIND_LABELS = {
    MunicipalityKind.STADTSTAAT: "Stadtstaat",
    MunicipalityKind.KREISFREIE_STADT: "Kreisfreie Stadt",
    MunicipalityKind.LANDKREIS: "Landkreis",
    MunicipalityKind.GEMEINDE: "Gemeinde",
}

TRUST_LEVEL_LABELS = {
    TrustLevel.NONE: "keine Identifizierung",
    TrustLevel.BASIC: "Basisregistrierung",
    TrustLevel.SUBSTANTIAL: "substantiell (eID)",
    TrustLevel.HIGH: "hoch (eID)",
}


class Land(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    abbreviation: str
    name: str
    population: int


class ProviderIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: ProviderId
    name: Name
    kind: ProviderKind
    land_code: LandCode | None = None
    website: Annotated[str, Meta(pattern=r"^https?://", max_length=300)] | None = None


class Provider(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    name: str
    kind: ProviderKind
    land_code: str | None
    website: str | None


class MunicipalityIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ags: AGS
    name: Name
    kind: MunicipalityKind
    population: Population
    population_as_of: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    land_code: LandCode | None = None  # optional; must match the AGS when given


class Municipality(msgspec.Struct, kw_only=True, frozen=True):
    ags: str
    name: str
    kind: MunicipalityKind
    land_code: str
    population: int
    population_as_of: str | None


class ServiceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    leika_key: LeikaKey
    title: Name
    summary: Text = ""
    ozg_bundle: Name
    topic: Name
    life_situations: Annotated[list[Name], Meta(max_length=20)] = []
    maturity: Annotated[int, Meta(ge=0, le=4)]
    trust_level: TrustLevel
    delivery_standard: Name
    fachverfahren: Annotated[list[Name], Meta(max_length=50)] = []
    has_test_instance: bool = False


class Service(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    leika_key: str
    title: str
    summary: str
    ozg_bundle: str
    topic: str
    life_situations: list[str]
    maturity: int
    trust_level: TrustLevel
    delivery_standard: str
    fachverfahren: list[str]
    has_test_instance: bool


class OfferVersionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new offer (first version) or a new version of an existing offer."""

    title: Name
    description: Text
    legal_route: LegalRoute
    cost_model: CostModel
    contract_template: Annotated[str, Meta(min_length=20, max_length=50_000)]
    notice_period_months: Annotated[int, Meta(ge=0, le=60)] = 6
    land_code: LandCode | None = None


class OfferIn(OfferVersionIn, kw_only=True, forbid_unknown_fields=True):
    leika_key: LeikaKey
    provider_id: ProviderId | None = None  # the operator names it; admins act for own


class OfferVersion(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    offer_id: int
    version: int
    status: str
    title: str
    description: str
    legal_route: LegalRoute
    cost_model: CostModel
    contract_template: str
    notice_period_months: int
    land_code: str | None
    created_at: str
    published_at: str | None
    reference_annual_cents: int | None


class Offer(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    provider: Provider
    service: Service
    created_at: str
    withdrawn_at: str | None
    versions: list[OfferVersion]
    home_node: str | None = None  # another node's offer, replicated read-only

    @property
    def current(self) -> OfferVersion | None:
        published = [v for v in self.versions if v.status == "published"]
        return published[-1] if published else None


class FacetValue(msgspec.Struct, kw_only=True, frozen=True):
    value: str
    label: str
    count: int


class SearchQuery(msgspec.Struct, kw_only=True, frozen=True):
    q: str = ""
    land: str | None = None
    topic: str | None = None
    life_situation: str | None = None
    provider: str | None = None
    maturity: int | None = None
    price_band: str | None = None
    leika_key: str | None = None
    page: int = 1
    per_page: int = 20


class SearchHit(msgspec.Struct, kw_only=True, frozen=True):
    offer_id: int
    offer_version_id: int
    version: int
    title: str
    service_id: int
    service_title: str
    leika_key: str
    topic: str
    maturity: int
    trust_level: str
    provider_id: str
    provider_name: str
    land_code: str | None
    legal_route: LegalRoute
    reference_annual_cents: int | None
    cost_model: CostModel
    my_quote: Quote | None = None
    home_node: str | None = None  # another node's offer, replicated read-only


class SearchPage(msgspec.Struct, kw_only=True, frozen=True):
    total: int
    page: int
    per_page: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]
