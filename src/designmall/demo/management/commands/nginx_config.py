from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from designmall.demo.cluster import render_nginx_site


class Command(BaseCommand):
    help = (
        "Print the nginx site configuration we ship (deploy/nginx.conf.template) for these web "
        "nodes, static and media folders: put it in /etc/nginx/sites-available/."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--upstream",
            action="append",
            default=None,
            help="a web node's host:port (repeat for each; default 127.0.0.1:8000)",
        )
        parser.add_argument("--listen", default="80", help="nginx's listen directive (default 80)")
        parser.add_argument("--server-name", default="_", help="server_name (default _)")
        parser.add_argument(
            "--access-log", default="/var/log/nginx/designmall.access.log", help="access log"
        )

    def handle(self, *args, upstream, listen, server_name, access_log, **options):
        self.stdout.write(
            render_nginx_site(
                listen=listen,
                upstreams=upstream or ["127.0.0.1:8000"],
                static_root=Path(settings.STATIC_ROOT),
                media_root=Path(settings.MEDIA_ROOT),
                access_log=access_log,
                server_name=server_name,
            ),
            ending="",
        )
