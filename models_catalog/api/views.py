"""The read API of the catalog. Anonymous reads: each view says `AllowAny` explicitly.

Views parse input, call one selector and serialize; behaviour lives in `selectors.py`.
"""

import hashlib
import json

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import PageNumberPagination
from config.openapi import BAD_REQUEST, MODEL_PATH_PARAMETERS, NOT_FOUND
from models_catalog import compare, selectors
from models_catalog.api.filters import ModelListFilter
from models_catalog.api.serializers import (
    ChartInputSerializer,
    ChartOutputSerializer,
    CompareInputSerializer,
    CompareOutputSerializer,
    ModelCostInputSerializer,
    ModelCostOutputSerializer,
    ModelDetailOutputSerializer,
    ModelListOutputSerializer,
    ModelRanksOutputSerializer,
    PriceHistoryInputSerializer,
    PriceHistoryOutputSerializer,
    ProviderDetailOutputSerializer,
    ProviderListOutputSerializer,
)
from models_catalog.models import AIModel, Provider


@extend_schema_view(
    get=extend_schema(
        responses={200: ProviderListOutputSerializer(many=True), **BAD_REQUEST},
        description="Providers by name, with how many models each has in the catalog.",
    )
)
class ProviderListApi(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProviderListOutputSerializer
    pagination_class = PageNumberPagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Provider]:
        return selectors.provider_list()


class ProviderDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Provider slug."
            )
        ],
        responses={200: ProviderDetailOutputSerializer, **NOT_FOUND},
        description="One provider with its model families and their model counts.",
    )
    def get(self, request: Request, slug: str) -> Response:
        provider = selectors.provider_get(slug=slug)
        return Response(ProviderDetailOutputSerializer(provider, context={"request": request}).data)


@extend_schema_view(
    get=extend_schema(
        responses={200: ModelListOutputSerializer(many=True), **BAD_REQUEST},
        description="Models, filtered and ordered. A bad parameter value is a 400 naming it.",
    )
)
class ModelListApi(ListAPIView):
    """Filtering, ordering and paging are declared here (`ModelListFilter`) so that the schema
    documents them; the rows come from the `model_list` selector."""

    permission_classes = [AllowAny]
    serializer_class = ModelListOutputSerializer
    pagination_class = PageNumberPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ModelListFilter

    def get_queryset(self) -> QuerySet[AIModel]:
        return selectors.model_list()


class ModelDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=MODEL_PATH_PARAMETERS,
        responses={200: ModelDetailOutputSerializer, **NOT_FOUND},
        description="The whole model page. An alias or a variant id is served as the model it "
        "names, with that model's canonical slug.",
    )
    def get(self, request: Request, provider: str, model: str) -> Response:
        ai_model = selectors.model_detail_get(f"{provider}/{model}")
        return Response(ModelDetailOutputSerializer(ai_model, context={"request": request}).data)


class ModelCostApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, ModelCostInputSerializer],
        responses={200: ModelCostOutputSerializer, **BAD_REQUEST, **NOT_FOUND},
        description="Exact cost of a request. 404 `price_unavailable` when the model has no "
        "fixed price (router models bill the price of the model they route to).",
    )
    def get(self, request: Request, provider: str, model: str) -> Response:
        params = ModelCostInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        estimate = selectors.model_cost_estimate(
            slug=f"{provider}/{model}", **params.validated_data
        )
        return Response(ModelCostOutputSerializer(estimate).data)


class ModelRanksApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=MODEL_PATH_PARAMETERS,
        responses={200: ModelRanksOutputSerializer, **NOT_FOUND},
        description="The model's rank on each measure it has, within each category it is in.",
    )
    def get(self, request: Request, provider: str, model: str) -> Response:
        ranks = selectors.model_ranks_get(slug=f"{provider}/{model}")
        return Response(ModelRanksOutputSerializer(ranks).data)


class ModelPriceHistoryApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[*MODEL_PATH_PARAMETERS, PriceHistoryInputSerializer],
        responses={200: PriceHistoryOutputSerializer, **BAD_REQUEST, **NOT_FOUND},
        description="Every dated price the importers stored for the model, per offering and "
        "source, oldest first; each price is in force until the next one of its series.",
    )
    def get(self, request: Request, provider: str, model: str) -> Response:
        params = PriceHistoryInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        history = selectors.model_price_history_get(
            slug=f"{provider}/{model}", **params.validated_data
        )
        return Response(PriceHistoryOutputSerializer(history).data)


class ChartApi(APIView):
    """One small body per (category, measure) with a strong ETag of its content: a client
    that sends it back in `If-None-Match` gets a 304 without the body."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[ChartInputSerializer],
        responses={200: ChartOutputSerializer, 304: None, **BAD_REQUEST},
        description="Every model of a category that has a measure, with its value, source, "
        "date and rank (the same ranks as `ranks/`): a comparison chart in one request. "
        "A bad parameter or unknown measure is a 400 naming it.",
    )
    def get(self, request: Request) -> Response:
        params = ChartInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        chart = selectors.measure_chart_get(**params.validated_data)
        data = ChartOutputSerializer(chart).data
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        etag = f'"{hashlib.blake2b(canonical, digest_size=16).hexdigest()}"'
        if etag in request.headers.get("If-None-Match", ""):
            return Response(status=304, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})


class CompareApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[CompareInputSerializer],
        responses={200: CompareOutputSerializer, **BAD_REQUEST, **NOT_FOUND},
        description="2-5 models side by side: specs, current standard prices, the cost of "
        "the same request for each, current metrics, rating and sub-ratings, one aligned row "
        "per measure with the better value marked. 404 `model_not_found` names the slug.",
    )
    def get(self, request: Request) -> Response:
        params = CompareInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        comparison = compare.model_compare_get(slugs=data.pop("models"), **data)
        return Response(CompareOutputSerializer(comparison).data)
