"""What the back office's actions share: run a service on each selected object, and an
intermediate page that asks for a reason (or any small form) before running it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import admin, messages
from django.core.validators import MaxLengthValidator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from designmall.core.errors import DomainError


def run_each(request, objects: Iterable, action: Callable, success_message: str) -> None:
    """``action(obj)`` for each object; a refusal is shown for its object, the rest go on."""
    done = 0
    for obj in objects:
        try:
            action(obj)
            done += 1
        except DomainError as exc:
            messages.error(request, f"{obj}: {exc.message}")
    if done:
        messages.success(request, success_message % {"n": done})


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.max_length = max_length
        field.validators.append(MaxLengthValidator(max_length))
        field.widget.attrs["maxlength"] = str(max_length)


def action_form_page(modeladmin, request, queryset, *, title, form) -> TemplateResponse:
    """The intermediate page of an action: the selected objects and ``form``."""
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


def ask_reason(modeladmin, request, queryset, *, title, apply, max_length: int):
    """Ask for a reason (at most ``max_length`` characters), then ``apply(queryset, reason)``."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST, max_length=max_length)
        if form.is_valid():
            apply(queryset, form.cleaned_data["reason"])
            return HttpResponseRedirect(request.get_full_path())
    else:
        form = ReasonForm(max_length=max_length)
    return action_form_page(modeladmin, request, queryset, title=title, form=form)
