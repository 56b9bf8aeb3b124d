"""What the catalog announces to adapters that keep copies of its pages or data."""

from django.dispatch import Signal

# Sent after the transaction that changed these products commits; ``product_ids`` is a
# list of primary keys. Receivers drop what they cached of them (rendered pages).
products_changed = Signal()
