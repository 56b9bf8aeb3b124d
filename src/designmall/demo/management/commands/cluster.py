from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from designmall.demo.cluster import Cluster, ClusterError, main_loop


class Command(BaseCommand):
    help = (
        "Start the production tier on loopback: nginx in front of N web nodes, M workers, a "
        "PostgreSQL primary with a streaming replica and Redis, all in a scratch folder; "
        "print the address; stop everything on Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--nodes", type=int, default=2, help="web nodes (default 2)")
        parser.add_argument("--workers", type=int, default=2, help="workers (default 2)")
        parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
        parser.add_argument("--threads", type=int, default=8, help="threads per web node")
        parser.add_argument("--dir", default=None, help="scratch folder (default: a new temp one)")
        parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
        parser.add_argument("--seed", action="store_true", help="build the demo design week")

    def handle(self, *args, nodes, workers, port, threads, dir, keep, seed, **options):
        if nodes < 1 or workers < 0:
            raise CommandError("--nodes must be at least 1 and --workers at least 0")
        cluster = Cluster(
            nodes=nodes,
            workers=workers,
            node_threads=threads,
            port=port,
            folder=Path(dir) if dir else None,
            keep=keep or bool(dir),
            seed=seed,
        )
        try:
            cluster.start()
        except ClusterError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"cluster: ready at {cluster.url}/ ({nodes} web nodes, {workers} workers; "
            f"primary {cluster.primary_url}, replica {cluster.replica_url}, Redis "
            f"{cluster.redis_url}; logs in {cluster.logs}). Ctrl-C stops everything."
        )
        try:
            main_loop(cluster)
        finally:
            self.stdout.write("cluster: stopping")
            cluster.stop()
            self.stdout.write("cluster: stopped")
