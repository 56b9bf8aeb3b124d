"""Product search latency: 1,000 mixed Chinese/English queries through ``product_search``.

Assumes the configured database (DATABASE_URL) holds a seeded, indexed
catalog. Builds a deterministic list of queries from words of the catalog's
own titles (plus a few that match nothing), runs each with a random filter
and sort, and prints p50/p99/mean latency and the hits found.

    .venv/bin/python -m bench.search [--queries 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bench.common import figure, percentile, setup_django

MISSES = ["量子纠缠沙发", "zxqvw", "不存在的商品", "hovercraft", "火星 lamp"]


def _vocabulary(sample: int) -> tuple[list[str], list[str]]:
    """Chinese and English words of the titles of the first ``sample`` products on sale."""
    from designmall.catalog.searchengines.text import query_terms
    from designmall.catalog.selectors import products_on_sale

    han: set[str] = set()
    latin: set[str] = set()
    titles = products_on_sale().order_by("id").values_list("title_zh", "title_en")[:sample]
    for title_zh, title_en in titles:
        for term in query_terms(f"{title_zh} {title_en}"):
            if term.han and len(term.text) > 1:
                han.add(term.text)
            elif not term.han and len(term.text) > 2 and not term.text.isdigit():
                latin.add(term.text)
    return sorted(han), sorted(latin)


def _queries(count: int, rng: random.Random) -> list[str]:
    han, latin = _vocabulary(2_000)
    if not han and not latin:
        raise SystemExit("no products on sale: seed the catalog first")
    han = han or latin
    latin = latin or han
    queries = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.35:
            queries.append(rng.choice(han))
        elif kind < 0.55:
            queries.append(f"{rng.choice(han)}{rng.choice(han)}")
        elif kind < 0.75:
            queries.append(rng.choice(latin))
        elif kind < 0.85:
            queries.append(f"{rng.choice(latin)} {rng.choice(latin)}")
        elif kind < 0.96:
            queries.append(f"{rng.choice(han)} {rng.choice(latin)}")
        else:
            queries.append(rng.choice(MISSES))
    return queries


def _filters(rng: random.Random, categories: list[list[int]], shop_ids: list[int]):
    from designmall.catalog.search import SearchFilters

    kind = rng.random()
    if kind < 0.5:
        return SearchFilters()
    if kind < 0.7 and categories:
        return SearchFilters(category_ids=rng.choice(categories))
    if kind < 0.8:
        low = rng.choice([0, 10_000, 50_000, 200_000])
        return SearchFilters(price_min_fen=low, price_max_fen=low * 10 + 100_000)
    if kind < 0.9:
        return SearchFilters(in_stock=True, origin=rng.choice(["domestic", "international"]))
    return SearchFilters(shop_id=rng.choice(shop_ids)) if shop_ids else SearchFilters()


def _category_trees() -> list[list[int]]:
    from designmall.catalog.models import Category
    from designmall.catalog.selectors import category_with_descendant_ids

    slugs = Category.objects.order_by("id").values_list("slug", flat=True)
    return [category_with_descendant_ids(slug=slug)[1] for slug in slugs]


def run(*, queries: int = 1_000, seed: int = 7) -> dict[str, float]:
    setup_django()
    from django.db import connection

    from designmall.catalog.models import Shop, ShopStatus
    from designmall.catalog.search import SORTS, product_search

    rng = random.Random(seed)
    texts = _queries(queries, rng)
    categories = _category_trees()
    shop_ids = list(
        Shop.objects.filter(status=ShopStatus.APPROVED).order_by("id").values_list("id", flat=True)
    )
    plans = [
        (
            text,
            _filters(rng, categories, shop_ids),
            rng.choice([*SORTS, "relevance", "relevance"]),
            rng.choice([1, 1, 1, 2, 3]),
        )
        for text in texts
    ]
    for text, filters, sort, page in plans[:20]:  # warm up: jieba, caches, connection
        product_search(query=text, filters=filters, sort=sort, page=page)

    latencies: list[float] = []
    hits = 0
    for text, filters, sort, page in plans:
        started = time.perf_counter()
        result = product_search(query=text, filters=filters, sort=sort, page=page)
        latencies.append((time.perf_counter() - started) * 1000)
        hits += result.total
    slowest = sorted(zip(latencies, plans, strict=True), key=lambda pair: -pair[0])[:5]

    outcome = {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies),
        "max_ms": max(latencies),
        "hits": hits,
    }
    print(f"product search on {connection.vendor}, {len(latencies)} queries")
    figure("p50", outcome["p50_ms"], "ms")
    figure("p99", outcome["p99_ms"], "ms")
    figure("mean", outcome["mean_ms"], "ms")
    figure("max", outcome["max_ms"], "ms")
    figure("total hits (sum over queries)", hits)
    for ms, (text, filters, sort, page) in slowest:
        narrowed = {k: v for k, v in vars(filters).items() if v not in (None, [])}
        print(f"  slow: {ms:6.1f} ms  {text!r} sort={sort} page={page} {narrowed}")
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    run(queries=args.queries, seed=args.seed)


if __name__ == "__main__":
    main()
