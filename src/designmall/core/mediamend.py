"""Checking and mending the media already stored (``designmall media_mend``).

Files stored before image intake (``core.images``) may be anything a client sent: a PNG
named ``x.html`` with a script appended, an SVG, a GIF, a JPEG with its EXIF. For every
file named by a file field of any model, and every other file under the media storage:

- a file that is already what intake keeps (``stored_image_is_clean``) is left alone;
- an image that intake takes (JPEG, PNG, WebP; GIF, BMP and TIFF become PNG) is re-encoded
  and stored under a new random name in the same folder, every row naming it is updated,
  and the original is moved to the quarantine;
- anything else (not an image, over the pixel limit, unreadable) is moved to the
  quarantine (``MEDIA_QUARANTINE_ROOT``, outside the served media), and the rows naming it
  lose it: an optional field is emptied, a row that is nothing without its file (a product
  or lot image) is deleted;
- a row whose file is missing is reported, never changed.

Rows are changed with ``save()``/``delete()`` (their signals run: cached pages showing them
are dropped) and audited (``media.reencoded`` / ``media.removed``). Running it again finds
every file clean and changes nothing; a run interrupted half-way is finished by the next.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import Storage, default_storage
from django.db import models, transaction

from designmall.core.audit import audit_record
from designmall.core.images import CONVERTIBLE_FORMATS, ImageRefused, intake_image
from designmall.core.images import stored_image_is_clean as _is_clean

# Files stored before intake were taken without a byte limit in the back office; the pixel
# limit (what decoding costs) still applies.
MEND_MAX_BYTES = 100 * 1024 * 1024


@dataclass
class MendReport:
    files: int = 0
    clean: int = 0
    reencoded: int = 0
    quarantined: int = 0
    missing: int = 0
    rows_updated: int = 0
    rows_emptied: int = 0
    rows_deleted: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.reencoded or self.quarantined)


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    """Every concrete file field of every installed model."""
    return [
        (model, f)
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
        for f in model._meta.concrete_fields
        if isinstance(f, models.FileField)
    ]


def _stored_files(storage: Storage, folder: str = "") -> list[str]:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return []
    names = [posixpath.join(folder, name) for name in files]
    for sub in folders:
        names += _stored_files(storage, posixpath.join(folder, sub))
    return names


def _quarantine(storage: Storage, name: str, root: Path) -> None:
    target = root / name
    n = 0
    while target.exists():
        n += 1
        target = root / f"{name}.{n}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with storage.open(name, "rb") as source:
        target.write_bytes(source.read())
    storage.delete(name)


def media_mend(
    *,
    dry_run: bool = False,
    storage: Storage | None = None,
    quarantine_root: Path | None = None,
    say: Callable[[str], None] | None = None,
) -> MendReport:
    """Check every stored file and mend what is not clean (see the module); with
    ``dry_run`` only report what would be done."""
    storage = storage or default_storage
    root = Path(quarantine_root or settings.MEDIA_QUARANTINE_ROOT)
    report = MendReport()

    def note(line: str) -> None:
        report.lines.append(line)
        if say:
            say(line)

    holders: dict[str, list[tuple[type[models.Model], models.FileField]]] = defaultdict(list)
    for model, f in file_fields():
        for name in model._default_manager.exclude(**{f.name: ""}).values_list(f.name, flat=True):
            if name and (model, f) not in holders[name]:
                holders[name].append((model, f))
    names = set(holders) | set(_stored_files(storage))

    for name in sorted(names):
        try:
            exists = storage.exists(name)
        except SuspiciousFileOperation:
            exists = False  # a name outside the storage: nothing of ours to read
        if not exists:
            report.missing += 1
            note(f"missing: {name}")
            continue
        report.files += 1
        with storage.open(name, "rb") as stored:
            data = stored.read(MEND_MAX_BYTES + 1)
        if _is_clean(name, data, max_pixels=settings.IMAGE_MAX_PIXELS):
            report.clean += 1
            continue
        try:
            clean = intake_image(data, max_bytes=MEND_MAX_BYTES, convert_to_png=CONVERTIBLE_FORMATS)
        except ImageRefused as refused:
            report.quarantined += 1
            note(f"quarantined ({refused.code}): {name}")
            if not dry_run:
                _drop(name, holders.get(name, []), report, reason=refused.code)
                _quarantine(storage, name, root)
            continue
        report.reencoded += 1
        if dry_run:
            note(f"would re-encode: {name}")
            continue
        file = clean.as_file()
        new_name = storage.save(posixpath.join(posixpath.dirname(name), file.name), file)
        note(f"re-encoded: {name} -> {new_name}")
        _rename(name, new_name, holders.get(name, []), report)
        _quarantine(storage, name, root)
    return report


@transaction.atomic
def _rename(old: str, new: str, holders, report: MendReport) -> None:
    for model, f in holders:
        for row in model._default_manager.filter(**{f.name: old}):
            setattr(row, f.attname, new)
            row.save(update_fields=[f.attname])
            audit_record(
                actor=None,
                action="media.reencoded",
                target=row,
                data={"field": f.name, "from": old, "to": new},
            )
            report.rows_updated += 1


@transaction.atomic
def _drop(name: str, holders, report: MendReport, *, reason: str) -> None:
    for model, f in holders:
        for row in model._default_manager.filter(**{f.name: name}):
            audit_record(
                actor=None,
                action="media.removed",
                target=row,
                reason=reason,
                data={"field": f.name, "file": name},
            )
            if f.blank:
                setattr(row, f.attname, "")
                row.save(update_fields=[f.attname])
                report.rows_emptied += 1
            else:
                row.delete()
                report.rows_deleted += 1
