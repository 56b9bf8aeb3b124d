"""The admin index links the back office's dashboards (pages outside the admin)."""

from django.contrib import admin

# Unless another part of the back office already gave the index its own template.
if admin.site.index_template is None:
    admin.site.index_template = "admin/designmall_index.html"
