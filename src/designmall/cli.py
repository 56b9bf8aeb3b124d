"""The ``designmall`` command: Django's manage.py under our own name.

``designmall demo | serve | worker | seed | bench`` are management commands of
the ``demo`` and ``core`` apps; every other Django command works as well.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designmall.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["designmall", *sys.argv[1:]])


if __name__ == "__main__":
    main()
