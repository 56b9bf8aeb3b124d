"""What one product page costs in Python, in-process (no server, no network client).

Assumes the configured database (DATABASE_URL) holds a seeded catalog; uses the
configured cache (REDIS_URL) under a prefix of its own. Calls the site's WSGI
application directly for anonymous visitors' product pages and prints the CPU time
(this process only: the database's and Redis's own work is not counted) and wall
time per page, for 200 products each:

- a first visit: catalog data read, every part rendered, all stored;
- a cached visit: the page from the page cache, its buy form (stock) drawn anew;
- a render with the catalog data kept (page cache off, as for a logged-in buyer).

    .venv/bin/python -m bench.product_cpu [--products 200]
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import time

from bench.common import figure, setup_django


def _get(app, path: str) -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_LANGUAGE": "zh-hans",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    statuses: list[str] = []
    b"".join(app(environ, lambda status, headers, *exc: statuses.append(status)))
    if not statuses[0].startswith("200"):
        raise SystemExit(f"{path}: {statuses[0]}")


def _per_page(app, paths: list[str]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for path in paths:
        _get(app, path)
    return (
        1000 * (time.process_time() - cpu) / len(paths),
        1000 * (time.perf_counter() - wall) / len(paths),
    )


def run(*, products: int) -> dict[str, tuple[float, float]]:
    os.environ["CACHE_PREFIX"] = f"bench-product-cpu-{secrets.token_hex(4)}"
    setup_django()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    from designmall.catalog.selectors import products_on_sale

    app = WSGIHandler()
    on_sale = products_on_sale().order_by("?").values_list("public_id", flat=True)
    ids = list(on_sale[: products + 20])
    if len(ids) <= 20:
        raise SystemExit("too few products on sale: seed the catalog first")
    for public_id in ids[:20]:  # templates compiled, connections opened
        _get(app, f"/p/{public_id}/")
    paths = [f"/p/{public_id}/" for public_id in ids[20:]]
    results = {
        "first visit": _per_page(app, paths),
        "cached visit (buy form drawn anew)": _per_page(app, paths),
    }
    settings.STOREFRONT_PAGE_CACHE_SECONDS = 0
    results["render with the catalog data kept"] = _per_page(app, paths)
    print(f"product page in-process, {len(paths)} products, per page")
    for label, (cpu, wall) in results.items():
        figure(f"{label}: CPU", cpu, "ms")
        figure(f"{label}: wall", wall, "ms")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=200)
    args = parser.parse_args(argv)
    run(products=args.products)


if __name__ == "__main__":
    main()
