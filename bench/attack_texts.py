"""Genuine-looking review texts for the attack simulation's false-positive count.

The hotel-review CSV beside the project (`../shared/data/tripadvisor-hotel-reviews-
first2000.csv`) is used when present: real, independent texts. Without it, texts are
generated: each draws a few sentences from a large pool, in random order, with its own
details (tasks, durations, figures), so two texts rarely share more than a sentence. The
simulation prints which source it used.
"""

import csv
import os
import random
from pathlib import Path

HOTEL_CSV = "tripadvisor-hotel-reviews-first2000.csv"
_PROJECT = Path(__file__).resolve().parent.parent


def _csv_path() -> Path | None:
    """BENCH_TEXTS_CSV, else ../shared/data beside the project (or beside its worktree)."""
    configured = os.environ.get("BENCH_TEXTS_CSV")
    candidates = [Path(configured)] if configured else []
    candidates += [parent / "shared" / "data" / HOTEL_CSV for parent in _PROJECT.parents[:2]]
    return next((path for path in candidates if path.is_file()), None)


_TASKS = (
    "refactoring a Django monolith",
    "summarising support tickets",
    "drafting release notes",
    "extracting fields from invoices",
    "writing SQL for our analysts",
    "triaging bug reports",
    "translating product copy into German",
    "answering questions over our wiki",
    "generating unit tests",
    "reviewing pull requests",
    "classifying customer emails",
    "building a voice agent",
    "cleaning scraped product data",
    "writing marketing copy",
    "tagging images for a catalogue",
    "explaining legacy COBOL",
    "planning sprint tasks",
    "migrating a React codebase to TypeScript",
    "drafting legal clause comparisons",
    "tutoring students in statistics",
    "writing Terraform modules",
    "parsing PDF bank statements",
)
_SENTENCES = (
    "We have used it for {n} months for {task}.",
    "Our team of {k} engineers relies on it for {task}.",
    "I tried it for {task} after switching from another provider.",
    "Latency is usually around {ms} ms, which is fine for our use.",
    "It struggles when the prompt is longer than {k}0 pages.",
    "The JSON mode broke about once every {n}00 calls for us.",
    "Pricing is reasonable: our monthly bill went from ${n}00 to ${k}00.",
    "Function calling works, although it sometimes invents a parameter.",
    "It follows the system prompt more faithfully than the last version did.",
    "Documentation is thin, so expect some trial and error at first.",
    "The rate limits bit us during a launch week.",
    "Answers are concise, sometimes too concise for junior colleagues.",
    "It handled our {task} backlog better than I expected.",
    "Hallucinated citations were the main problem in research questions.",
    "Streaming output made the chat interface feel much faster.",
    "Our evaluation set of {k}00 cases showed a clear improvement in accuracy.",
    "It refuses harmless requests now and then, which annoys users.",
    "Context caching cut our costs noticeably on repeated prompts.",
    "Code it writes compiles most of the time but needs a careful review.",
    "Multilingual output is decent in Spanish and weaker in Finnish.",
    "The vision input reads tables from screenshots surprisingly well.",
    "We saw a few outages, each resolved within an hour.",
    "Compared with the open-weights model we host, quality is higher but so is the bill.",
    "Long conversations drift and it forgets constraints given early on.",
    "For {task} it saved each of us a few hours a week.",
    "Batch mode is the cheapest way we found to process nightly jobs.",
    "The tokenizer counts more tokens for code than we assumed.",
    "Support answered our billing question within {n} days.",
    "It is my default for quick questions, not for anything critical.",
    "Tool use in agents loops occasionally; we cap it at {k} steps.",
    "Math word problems are solid; spreadsheets formulas less so.",
    "The SDK upgrade broke our retry logic, which took a day to fix.",
    "Output formatting is consistent once you give two examples.",
    "We measured a {n}{k} percent drop in manual corrections after moving to it.",
    "Privacy terms were acceptable for our legal team after some back and forth.",
    "Small edits to the prompt change the results more than I would like.",
    "I would recommend it for prototypes; production needs guardrails.",
    "Response quality dipped for a week after an update, then recovered.",
    "It writes friendly customer replies that rarely need rewording.",
    "Our on-call engineers use it to read stack traces at night.",
)


def _generated(count: int, rng: random.Random) -> list[str]:
    texts = []
    for _ in range(count):
        picked = rng.sample(_SENTENCES, rng.randint(4, 6))
        details = {
            "n": rng.randint(2, 9), "k": rng.randint(2, 9), "ms": rng.randint(3, 19) * 50,
            "task": rng.choice(_TASKS),
        }  # fmt: skip
        texts.append(" ".join(sentence.format(**details) for sentence in picked))
    return texts


def genuine_texts(count: int, seed: int = 13) -> tuple[list[str], str]:
    """`count` independent review texts and where they came from."""
    rng = random.Random(seed)
    path = _csv_path()
    if path is not None:
        with path.open(encoding="utf-8", newline="") as handle:
            texts = [" ".join(row["Review"].split()) for row in csv.DictReader(handle)]
        texts = [text[:10_000] for text in texts if len(text) >= 50]
        if len(texts) >= count:
            return rng.sample(texts, count), f"{path} ({len(texts)} texts)"
    note = f"generated: {HOTEL_CSV} not found beside the project (see bench/attack_texts.py)"
    return _generated(count, rng), note
