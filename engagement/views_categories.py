"""The feedback categories in the catalog administration (namespace
``feedback``): /back-office/catalog/feedback-categories/.

Who: catalog administrators (and superusers); anyone else gets 403. Each
category's working days per step are the deadlines of the feedback sent
under it (``engagement.feedback``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from egov.errors import DomainError
from engagement import feedback as services
from engagement.forms import show_error
from engagement.models import FeedbackCategory

DAYS = {"min": 1, "max": 60, "inputmode": "numeric"}


class CategoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=200, required=False)
    accept_days = forms.IntegerField(
        label=gettext_lazy("Days to accept or refuse"), widget=forms.NumberInput(attrs=DAYS)
    )
    assign_days = forms.IntegerField(
        label=gettext_lazy("Days to assign it to an officer"), widget=forms.NumberInput(attrs=DAYS)
    )
    answer_days = forms.IntegerField(
        label=gettext_lazy("Days to answer once assigned"), widget=forms.NumberInput(attrs=DAYS)
    )
    publish_days = forms.IntegerField(
        label=gettext_lazy("Days to publish the answer"), widget=forms.NumberInput(attrs=DAYS)
    )
    is_active = forms.BooleanField(label=gettext_lazy("Offered to senders"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("accept_days", "assign_days", "answer_days", "publish_days"):
            self.fields[name].help_text = gettext_lazy("Working days, from 1 to 60.")
            self.fields[name].error_messages["required"] = gettext_lazy(
                "Enter a number of working days from 1 to 60."
            )
            self.fields[name].error_messages["invalid"] = gettext_lazy(
                "Enter a number of working days from 1 to 60."
            )


def _allowed(request: HttpRequest) -> None:
    if not services.may_edit_categories(request.user):
        raise PermissionDenied


@login_required
@require_safe
def category_list(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    return render(
        request,
        "backoffice/feedback/categories.html",
        {"categories": list(FeedbackCategory.objects.order_by("order", "name"))},
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, code: str) -> HttpResponse:
    _allowed(request)
    category = FeedbackCategory.objects.filter(code=code).first()
    if category is None:
        raise Http404
    initial = {name: getattr(category, name) for name in services.CATEGORY_FIELDS}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_update(user=request.user, category=category, **form.cleaned_data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request, _("The category %(name)s is saved.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("feedback:categories")
    return render(
        request,
        "backoffice/feedback/category_form.html",
        {"category": category, "form": form},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("", category_list, name="categories"),
    path("<slug:code>/", category_edit, name="category"),
]
