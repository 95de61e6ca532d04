"""Arena names that normalisation cannot map to a catalog slug, checked by a person.

`lmarena.py` tries this table first, then normalisation (`matching.CatalogIndex.find`),
which already maps most names: `o4-mini-2025-04-16` is the version slug of `openai/o4-mini`,
`claude-opus-4-1-20250805` loses its date and matches `anthropic/claude-opus-4.1`.

An entry belongs here when the Arena names a model by its provider's API name while the
catalog uses OpenRouter's (dated API names, marketing names), or when the Arena only rates
one reasoning setting of a model (`gpt-5-high`): that rating then stands for the model. A
target not in the catalog is reported as unmatched with its target; keep such entries: older
or larger OpenRouter snapshots have them. Add a line when the import report lists a name
you can place with confidence; leave out `-thinking-*` entries of a model rated on its own.
"""

ARENA_NAMES: dict[str, str] = {
    # Google: the Arena drops "-preview".
    "gemini-3-pro": "google/gemini-3-pro-preview",
    "gemini-3-flash": "google/gemini-3-flash-preview",
    # OpenAI: rated at high reasoning effort only; dated API names of OpenRouter aliases.
    "gpt-5-high": "openai/gpt-5",
    "gpt-5-mini-high": "openai/gpt-5-mini",
    "gpt-5-nano-high": "openai/gpt-5-nano",
    "gpt-4-0613": "openai/gpt-4",
    "gpt-4-0125-preview": "openai/gpt-4-turbo-preview",
    "gpt-3.5-turbo-0125": "openai/gpt-3.5-turbo",
    # xAI: the reasoning configuration of a model OpenRouter lists once.
    "grok-3-mini-high": "x-ai/grok-3-mini",
    "grok-4-fast-reasoning": "x-ai/grok-4-fast",
    "grok-4-1-fast-reasoning": "x-ai/grok-4.1-fast",
    # DeepSeek: OpenRouter calls V3 "deepseek-chat".
    "deepseek-v3": "deepseek/deepseek-chat",
    "deepseek-v3-0324": "deepseek/deepseek-chat-v3-0324",
    "deepseek-v3.1": "deepseek/deepseek-chat-v3.1",
    # Moonshot: OpenRouter's kimi-k2 is the 0711 release.
    "kimi-k2-0711-preview": "moonshotai/kimi-k2",
    "kimi-k2-0905-preview": "moonshotai/kimi-k2-0905",
    # Mistral: API date names vs version names (Medium 3 = 2505, Medium 3.1 = 2508, ...).
    "mistral-medium-2505": "mistralai/mistral-medium-3",
    "mistral-medium-2508": "mistralai/mistral-medium-3.1",
    "mistral-small-2506": "mistralai/mistral-small-3.2-24b-instruct",
    "mistral-large-3": "mistralai/mistral-large-2512",
    "mixtral-8x22b-instruct-v0.1": "mistralai/mixtral-8x22b-instruct",
    # Qwen: OpenRouter shortens these.
    "qwen3-235b-a22b-instruct-2507": "qwen/qwen3-235b-a22b-2507",
    "qwen3-coder-480b-a35b-instruct": "qwen/qwen3-coder",
    "qwen-plus-0125": "qwen/qwen-plus",
    # Amazon: the Arena prefixes the maker and adds a minor version.
    "amazon-nova-lite-v1.0": "amazon/nova-lite-v1",
    "amazon-nova-micro-v1.0": "amazon/nova-micro-v1",
    "amazon-nova-pro-v1.0": "amazon/nova-pro-v1",
    "nova-2-lite": "amazon/nova-2-lite-v1",
    # NVIDIA and Meta: maker prefix / word order.
    "nvidia-llama-3.3-nemotron-super-49b-v1.5": "nvidia/llama-3.3-nemotron-super-49b-v1.5",
    "llama-3.2-vision-11b-instruct": "meta-llama/llama-3.2-11b-vision-instruct",
}
