"""The read API of the catalog. Anonymous reads: each view says `AllowAny` explicitly.

Views parse input, call one selector and serialize; behaviour lives in `selectors.py`.
Every read is public and the same for everyone, so no authenticator runs (no session or
token lookup, and no `Vary: Cookie`), and each answer is a pre-rendered document
(`api/documents.py`) with an ETag, 304 on `If-None-Match` and `Cache-Control`.
"""

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from config.api import FirstRendererNegotiation
from config.documents import CATALOG, document_response
from config.fast_reads import DirectRead, PublicReadMixin
from config.openapi import (
    BAD_REQUEST,
    CONDITIONAL_GET,
    MODEL_PATH_PARAMETERS,
    NOT_FOUND,
    NOT_MODIFIED,
)
from config.pagination import CursorPagePagination
from models_catalog import selectors
from models_catalog.api import documents
from models_catalog.api.filters import ModelListFilter, orders_by_registered
from models_catalog.api.serializers import (
    ChartInputSerializer,
    ChartOutputSerializer,
    CompareInputSerializer,
    CompareOutputSerializer,
    ModelCostInputSerializer,
    ModelCostOutputSerializer,
    ModelListOutputSerializer,
    ModelPageOutputSerializer,
    ModelRanksOutputSerializer,
    PriceHistoryInputSerializer,
    PriceHistoryOutputSerializer,
    ProviderDetailOutputSerializer,
    ProviderListOutputSerializer,
)
from models_catalog.models import AIModel, Provider


@extend_schema_view(
    get=extend_schema(
        parameters=[*CONDITIONAL_GET],
        responses={200: ProviderListOutputSerializer(many=True), **NOT_MODIFIED, **BAD_REQUEST},
        description="Providers by name, with how many models each has in the catalog.",
    )
)
class ProviderListApi(PublicReadMixin, ListAPIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation
    serializer_class = ProviderListOutputSerializer
    pagination_class = CursorPagePagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Provider]:
        return selectors.provider_list()

    @staticmethod
    def direct_read(request: HttpRequest) -> DirectRead:
        return documents.list_direct(request, "providers", [CATALOG])

    # A pre-rendered body, not a DRF Response: narrower than ListAPIView's `get` on purpose.
    def get(  # type: ignore[override]
        self, request: Request, *args: object, **kwargs: object
    ) -> HttpResponseBase:
        render = lambda: documents.json_render(self.list(request).data)  # noqa: E731
        document = documents.list_document(request, "providers", [CATALOG], render)
        return document_response(request, document)


class ProviderDetailApi(PublicReadMixin, APIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Provider slug."
            ),
            *CONDITIONAL_GET,
        ],
        responses={200: ProviderDetailOutputSerializer, **NOT_MODIFIED, **NOT_FOUND},
        description="One provider with its model families and their model counts.",
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        def render() -> bytes:
            provider = selectors.provider_get(slug=slug)
            serializer = ProviderDetailOutputSerializer(provider, context={"request": request})
            return documents.json_render(serializer.data)

        document = documents.list_document(request, "provider", [CATALOG], render)
        return document_response(request, document)


@extend_schema_view(
    get=extend_schema(
        parameters=[*CONDITIONAL_GET],
        responses={200: ModelListOutputSerializer(many=True), **NOT_MODIFIED, **BAD_REQUEST},
        description="Models, filtered and ordered. A bad parameter value is a 400 naming it.",
    )
)
class ModelListApi(PublicReadMixin, ListAPIView):
    """Filtering, ordering and paging are declared here (`ModelListFilter`) so that the schema
    documents them; the rows come from the `model_list` selector."""

    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation
    serializer_class = ModelListOutputSerializer
    pagination_class = CursorPagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ModelListFilter

    def get_queryset(self) -> QuerySet[AIModel]:
        return selectors.model_list()

    @staticmethod
    def direct_read(request: HttpRequest) -> DirectRead:
        return documents.model_list_direct(request, by_rating=orders_by_registered(request.GET))

    # A pre-rendered body, not a DRF Response: narrower than ListAPIView's `get` on purpose.
    def get(  # type: ignore[override]
        self, request: Request, *args: object, **kwargs: object
    ) -> HttpResponseBase:
        # Lists embed each model's rating (and may order by it): see model_list_document.
        by_rating = orders_by_registered(request.GET)
        render = lambda: self.list(request).data  # noqa: E731
        document = documents.model_list_document(request, render, by_rating=by_rating)
        return document_response(request, document)


INCLUDE_PARAMETER = OpenApiParameter(
    "include", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    description="Comma-separated parts to add under `included`, so that one request renders "
    "the whole page: `rating` (as `/rating/`), `ranks` (as `/ranks/`), `reviews` (the first "
    "page of `/reviews/`, newest first, as an anonymous reader sees it). One ETag covers the "
    "whole body. An unknown name is a 400 naming `include`.",
)  # fmt: skip


def _include(params: QueryDict) -> list[str]:
    """The known parts `include` names, in the fixed order of `page_parts()`; 400 else."""
    raw = params.get("include")
    if raw is None:
        return []
    wanted = {name.strip() for name in raw.split(",") if name.strip()}
    known = list(documents.page_parts())
    unknown = sorted(wanted - set(known))
    if unknown:
        message = f"Unknown part(s) {', '.join(unknown)}; known: {', '.join(known)}."
        raise ValidationError({"include": [message]})
    return [name for name in known if name in wanted]


class ModelDetailApi(PublicReadMixin, APIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @staticmethod
    def direct_read(request: HttpRequest, provider: str, model: str) -> DirectRead | None:
        slug, params = f"{provider}/{model}", request.GET
        if not params:
            return documents.model_detail_direct(request, slug)
        if list(params) != ["include"] or len(params.getlist("include")) != 1:
            return None  # refused by config.strict before the view; never kept
        try:
            include = _include(params)
        except ValidationError:
            return None  # the view's 400
        if include:
            return documents.model_page_direct(request, slug, include)
        return documents.model_detail_direct(request, slug)

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, INCLUDE_PARAMETER, *CONDITIONAL_GET],
        responses={200: ModelPageOutputSerializer, **NOT_MODIFIED, **BAD_REQUEST, **NOT_FOUND},
        description="The whole model page. An alias or a variant id is served as the model it "
        "names, with that model's canonical slug. With `include`, the page in one request.",
    )
    def get(self, request: Request, provider: str, model: str) -> HttpResponseBase:
        slug, include = f"{provider}/{model}", _include(request.query_params)
        if include:
            document = documents.model_page_document(request, slug, include)
        else:
            document = documents.model_detail_document(request, slug)
        return document_response(request, document)


class ModelCostApi(PublicReadMixin, APIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, ModelCostInputSerializer, *CONDITIONAL_GET],
        responses={200: ModelCostOutputSerializer, **NOT_MODIFIED, **BAD_REQUEST, **NOT_FOUND},
        description="Exact cost of a request. 404 `price_unavailable` when the model has no "
        "fixed price (router models bill the price of the model they route to).",
    )
    def get(self, request: Request, provider: str, model: str) -> HttpResponseBase:
        params = ModelCostInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        document = documents.model_cost_document(
            request, f"{provider}/{model}", params.validated_data
        )
        return document_response(request, document)


class ModelRanksApi(PublicReadMixin, APIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @staticmethod
    def direct_read(request: HttpRequest, provider: str, model: str) -> DirectRead:
        return documents.model_ranks_direct(request, f"{provider}/{model}")

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, *CONDITIONAL_GET],
        responses={200: ModelRanksOutputSerializer, **NOT_MODIFIED, **NOT_FOUND},
        description="The model's rank on each measure it has, within each category it is in.",
    )
    def get(self, request: Request, provider: str, model: str) -> HttpResponseBase:
        document = documents.model_ranks_document(request, f"{provider}/{model}")
        return document_response(request, document)


class ModelPriceHistoryApi(PublicReadMixin, APIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, PriceHistoryInputSerializer, *CONDITIONAL_GET],
        responses={200: PriceHistoryOutputSerializer, **NOT_MODIFIED, **BAD_REQUEST, **NOT_FOUND},
        description="Every dated price the importers stored for the model, per offering and "
        "source, oldest first; each price is in force until the next one of its series.",
    )
    def get(self, request: Request, provider: str, model: str) -> HttpResponseBase:
        document = documents.price_history_document(request, f"{provider}/{model}")
        return document_response(request, document)


class ChartApi(PublicReadMixin, APIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[ChartInputSerializer, *CONDITIONAL_GET],
        responses={200: ChartOutputSerializer, **NOT_MODIFIED, **BAD_REQUEST},
        description="Every model of a category that has a measure, with its value, source, "
        "date and rank (the same ranks as `ranks/`): a comparison chart in one request. "
        "A bad parameter or unknown measure is a 400 naming it.",
    )
    def get(self, request: Request) -> HttpResponseBase:
        # Parameters are validated when the document is rendered (api/documents.py).
        return document_response(request, documents.chart_document(request))


class CompareApi(PublicReadMixin, APIView):
    # The throttle's counter goes with the document's read (config.throttles.read_charged).
    throttle_on_read = True
    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[CompareInputSerializer, *CONDITIONAL_GET],
        responses={200: CompareOutputSerializer, **NOT_MODIFIED, **BAD_REQUEST, **NOT_FOUND},
        description="2-5 models side by side: specs, current standard prices, the cost of "
        "the same request for each, current metrics, rating and sub-ratings, one aligned row "
        "per measure with the better value marked. 404 `model_not_found` names the slug.",
    )
    def get(self, request: Request) -> HttpResponseBase:
        # Parameters are validated when the document is rendered (api/documents.py).
        return document_response(request, documents.compare_document(request))
