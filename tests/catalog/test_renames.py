"""A designer, shop or category renamed in the back office is found by its new name once
the worker has rebuilt its products' search entries."""

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from designmall.catalog import tasks  # noqa: F401  (registers the worker's job handler)
from designmall.catalog.search import product_search
from designmall.core.jobs import run_due_jobs
from tests.factories import (
    make_category,
    make_designer,
    make_operator,
    make_product,
    make_shop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    operator = make_operator()
    operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    return client


def change_in_admin(client, obj, **changes):
    """Post the back office's change form of ``obj`` with ``changes``, like an operator."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in {**form.initial, **changes}.items()
        if name in form.fields
        and value is not None
        and not isinstance(form.fields[name], forms.FileField)
    }
    for name, value in list(data.items()):
        if isinstance(form.fields[name], forms.SplitDateTimeField):
            local = timezone.localtime(data.pop(name))
            data[f"{name}_0"], data[f"{name}_1"] = local.date().isoformat(), local.time()
        elif hasattr(value, "pk"):
            data[name] = value.pk
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def found(query: str) -> set[str]:
    return {p.title_zh for p in product_search(query=query).products}


def test_a_renamed_designer_is_found_by_the_new_name_after_the_worker_runs(operator_client):
    designer = make_designer(name_zh="林晓禾", name_en="Lin Xiaohe")
    make_product(title_zh="实木椅子", designer=designer)

    change_in_admin(operator_client, designer, name_en="Forest Studio")
    assert found("forest") == set()  # not before the worker rebuilt the entries
    run_due_jobs()

    assert found("forest") == {"实木椅子"}
    assert found("xiaohe") == set()


def test_a_renamed_shop_is_found_by_the_new_name(operator_client):
    shop = make_shop(name_zh="山野木作", name_en="Mountain Wood")
    make_product(title_zh="实木椅子", shop=shop)

    change_in_admin(operator_client, shop, name_en="Valley Works")
    run_due_jobs()

    assert found("valley") == {"实木椅子"}


def test_renaming_a_category_also_renames_it_for_its_subcategories_products(operator_client):
    furniture = make_category(name_zh="家具", name_en="Furniture")
    chairs = make_category(name_zh="椅凳", name_en="Seating", parent=furniture)
    make_product(title_zh="实木椅子", category=chairs)

    change_in_admin(operator_client, furniture, name_en="Homeware")
    run_due_jobs()

    assert found("homeware") == {"实木椅子"}


def test_an_edit_that_keeps_the_names_queues_no_rebuild(operator_client):
    designer = make_designer(name_zh="林晓禾", name_en="Lin Xiaohe", bio_zh="旧简介")
    make_product(title_zh="实木椅子", designer=designer)

    change_in_admin(operator_client, designer, bio_zh="新简介")

    assert run_due_jobs() == 0
