import time

from django.core.management.base import BaseCommand

from designmall.catalog.search import products_reindex_all


class Command(BaseCommand):
    help = "Rebuild the product search index from the catalog (products on sale only)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = products_reindex_all()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"search_reindex: {count} products indexed in {elapsed:.1f} s")
