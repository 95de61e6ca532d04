"""Where a model is served: the route table the importers read routes with.

A route is the maker's own API (first party), a cloud platform or an aggregator. The
importers take the route's *price* and the model's id on it from the snapshot (LiteLLM's
price map names its entries `<provider>[/<region>]/<model>`, OpenRouter is itself an
aggregator route); what this table adds is what no snapshot states: the route's display
name, its kind, and, for the quick start, the OpenAI-compatible base URL its provider
documents (empty when the route has none or none is known). Keyed by LiteLLM's
`litellm_provider`; a provider missing here yields no route.
"""

import re
from dataclasses import dataclass

from models_catalog.models import RouteKind

# The doc page each base URL below comes from (read 2026-12-02), for the sources block.
BASE_URL_SOURCE = "provider documentation, recorded in models_catalog/routes.py"


@dataclass(frozen=True)
class RouteInfo:
    name: str
    kind: RouteKind
    base_url: str = ""  # OpenAI-compatible base URL; may hold `{resource}`
    # The second segment of an entry's key may be a region (`azure/eu/o4-mini`).
    regional: bool = False


FIRST, CLOUD, AGGREGATOR = RouteKind.FIRST_PARTY, RouteKind.CLOUD, RouteKind.AGGREGATOR
ROUTES: dict[str, RouteInfo] = {
    # The makers' own APIs (models_catalog.importers.litellm.DIRECT_PROVIDERS).
    "openai": RouteInfo("OpenAI API", FIRST, "https://api.openai.com/v1"),
    "anthropic": RouteInfo("Anthropic API", FIRST, "https://api.anthropic.com/v1/"),
    "gemini": RouteInfo(
        "Gemini API", FIRST, "https://generativelanguage.googleapis.com/v1beta/openai/"
    ),
    "vertex_ai-language-models": RouteInfo("Google Vertex AI", FIRST),
    "xai": RouteInfo("xAI API", FIRST, "https://api.x.ai/v1"),
    "mistral": RouteInfo("Mistral AI API", FIRST, "https://api.mistral.ai/v1"),
    "codestral": RouteInfo("Codestral API", FIRST, "https://codestral.mistral.ai/v1"),
    "deepseek": RouteInfo("DeepSeek API", FIRST, "https://api.deepseek.com/v1"),
    "moonshot": RouteInfo("Moonshot AI API", FIRST, "https://api.moonshot.ai/v1"),
    "dashscope": RouteInfo(
        "Alibaba Cloud Model Studio",
        FIRST,
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    ),
    "zai": RouteInfo("Z.ai API", FIRST, "https://api.z.ai/api/paas/v4"),
    "minimax": RouteInfo("MiniMax API", FIRST),
    "cohere_chat": RouteInfo("Cohere API", FIRST),
    "perplexity": RouteInfo("Perplexity API", FIRST, "https://api.perplexity.ai"),
    "amazon_nova": RouteInfo("Amazon Nova API", FIRST),
    # Clouds.
    "azure": RouteInfo(
        "Azure OpenAI", CLOUD, "https://{resource}.openai.azure.com/openai/v1/", regional=True
    ),
    "azure_ai": RouteInfo("Azure AI Foundry", CLOUD),
    "bedrock_converse": RouteInfo("Amazon Bedrock", CLOUD),
    "vertex_ai-anthropic_models": RouteInfo("Google Vertex AI", CLOUD),
    "vertex_ai-mistral_models": RouteInfo("Google Vertex AI", CLOUD),
    "vertex_ai-llama_models": RouteInfo("Google Vertex AI", CLOUD),
    # Aggregators and gateways.
    "vercel_ai_gateway": RouteInfo(
        "Vercel AI Gateway", AGGREGATOR, "https://ai-gateway.vercel.sh/v1"
    ),
    "replicate": RouteInfo("Replicate", AGGREGATOR),
    "together_ai": RouteInfo("Together AI", AGGREGATOR, "https://api.together.xyz/v1"),
    "fireworks_ai": RouteInfo("Fireworks AI", AGGREGATOR, "https://api.fireworks.ai/inference/v1"),
    "deepinfra": RouteInfo("DeepInfra", AGGREGATOR, "https://api.deepinfra.com/v1/openai"),
    "groq": RouteInfo("Groq", AGGREGATOR, "https://api.groq.com/openai/v1"),
    "cerebras": RouteInfo("Cerebras", AGGREGATOR, "https://api.cerebras.ai/v1"),
}
# OpenRouter is a route of its own snapshot (models_catalog.importers.openrouter).
OPENROUTER_KEY = "openrouter"
OPENROUTER = RouteInfo("OpenRouter", AGGREGATOR, "https://openrouter.ai/api/v1")

_REGION = re.compile(r"^(?:us|eu|[a-z]{2}-[a-z]+-\d)$")
_KIND_ORDER = {FIRST: 0, CLOUD: 1, AGGREGATOR: 2}


@dataclass(frozen=True)
class RouteEntry:
    """One entry of a price map read as a route: `azure/eu/o4-mini` -> key `azure/eu`,
    region `eu`, model id `o4-mini`."""

    key: str
    info: RouteInfo
    region: str
    route_model_id: str


def route_entry(entry_key: str, provider: str) -> RouteEntry | None:
    """The route a LiteLLM entry names, or None (an unknown provider, a fine-tune)."""
    info = ROUTES.get(provider)
    if info is None or entry_key.startswith("ft:"):
        return None
    parts = entry_key.split("/")
    # An entry of the maker's own API may be unprefixed (`o4-mini`) or prefixed (`gemini/...`).
    prefix = parts[0] if len(parts) > 1 and parts[0] in (provider, provider.split("-")[0]) else ""
    rest = parts[1:] if prefix else parts
    region = ""
    if info.regional and len(rest) > 1 and _REGION.match(rest[0]):
        region, rest = rest[0], rest[1:]
    if not rest or "*" in rest:
        return None
    key = provider if info.kind == FIRST else "/".join(filter(None, [provider, region]))
    return RouteEntry(key, info, region, "/".join(rest))


def kind_order(kind: str) -> int:
    return _KIND_ORDER.get(RouteKind(kind), len(_KIND_ORDER))
