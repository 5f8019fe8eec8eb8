"""Operator admin of the usage app: the catalog, and the feeds (an upload form that runs
`spp_import` and shows its report, and the list of past imports). All through the
maintenance alias (spp.admin.MaintAdmin)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join

from spp.admin import MaintAdmin, MaintInline
from usage import upload_jobs
from usage.imports import KINDS, import_file
from usage.imports.reader import SUFFIXES
from usage.models import ImportBatch, Product, ProductAlias, ProductRate

KIND_HELP = {
    "partners": "csn, name, currency, token_price",
    "teams": "team_id, team_name, account_csn, account_name, country",
    "purchases": "order_number, team_id, seller_csn, quantity, start_date, [end_date], "
    "[unit_price], [currency], [discount_pct]",
    "token_events": "event_type, date, order_number, from_team_id, to_team_id, quantity, reason",
    "usage": "Autodesk's token-usage export as it comes",
    "product_rates": "product, tokens_per_day, effective_from, [named_user_price], [currency]",
    "sessions": "team_id, user, product, version, machine, start, end (timestamps with zone)",
    "subscriptions": "team_id, user, product, start_date, end_date (named-user seats)",
}


# ------------------------------------------------------------------------- catalog


class ProductAliasInline(MaintInline):
    model = ProductAlias


class ProductRateInline(MaintInline):
    model = ProductRate


@admin.register(Product)
class ProductAdmin(MaintAdmin):
    list_display = ["name", "alias_list", "current_rate"]
    search_fields = ["name", "aliases__alias"]
    inlines = [ProductAliasInline, ProductRateInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases", "rates")

    @admin.display(description="aliases")
    def alias_list(self, obj: Product) -> str:
        return ", ".join(a.alias for a in obj.aliases.all())

    @admin.display(description="latest tokens/day")
    def current_rate(self, obj: Product) -> str:
        rates = sorted(obj.rates.all(), key=lambda r: r.effective_from)
        return f"{rates[-1].tokens_per_day} from {rates[-1].effective_from}" if rates else "—"

    def save_formset(self, request, form, formset, change):
        _save_formset_on_maint(formset)


@admin.register(ProductRate)
class ProductRateAdmin(MaintAdmin):
    list_display = ["product", "effective_from", "tokens_per_day", "named_user_price", "currency"]
    list_filter = ["product"]
    list_select_related = ["product"]
    date_hierarchy = "effective_from"


@admin.register(ProductAlias)
class ProductAliasAdmin(MaintAdmin):
    list_display = ["alias", "product"]
    search_fields = ["alias", "product__name"]
    list_select_related = ["product"]


def _save_formset_on_maint(formset) -> None:
    """Inline rows are written through the maintenance alias too (new objects would
    otherwise go to the request alias, where RLS refuses them)."""
    instances = formset.save(commit=False)
    for obj in formset.deleted_objects:
        obj.delete(using=MaintAdmin.using)
    for obj in instances:
        obj.save(using=MaintAdmin.using)
    formset.save_m2m()


# ------------------------------------------------------------------------- feeds


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, f"{kind} — {KIND_HELP[kind]}") for kind in KINDS])
    file = forms.FileField(help_text="A .csv file or an .xlsx workbook (its first sheet).")
    dry_run = forms.BooleanField(
        required=False, help_text="Check the file and show what would change; write nothing."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in SUFFIXES:
            raise forms.ValidationError(
                f"Wrong file type {suffix or '(none)'}: upload a .csv file or an .xlsx workbook."
            )
        return upload


@admin.register(ImportBatch)
class ImportBatchAdmin(MaintAdmin):
    list_display = ["created_at", "kind", "file_name", "rows", "changes", "created_by"]
    list_filter = ["kind"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "kind",
        "file_name",
        "sha256",
        "rows",
        "summary_counts",
        "created_at",
        "created_by",
    ]
    fields = readonly_fields
    change_list_template = "admin/usage/importbatch/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # batches are made by imports only

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # an audit trail

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="changes")
    def changes(self, obj: ImportBatch) -> str:
        counts = obj.summary.get("counts", {})
        parts = [
            f"{entity}: " + ", ".join(f"{n} {a}" for a, n in actions.items() if n)
            for entity, actions in counts.items()
            if any(actions.values())
        ]
        return "; ".join(parts) or "none"

    @admin.display(description="summary")
    def summary_counts(self, obj: ImportBatch) -> str:
        counts = obj.summary.get("counts", {})
        lines = [
            (entity, ", ".join(f"{n} {a}" for a, n in actions.items()))
            for entity, actions in counts.items()
        ]
        lines += [("note", note) for note in obj.summary.get("notes", [])]
        return format_html_join("", "<div><strong>{}</strong>: {}</div>", lines) or "—"

    def get_urls(self):
        urls = [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="usage_importbatch_upload",
            ),
            path(
                "upload/<str:job_id>/",
                self.admin_site.admin_view(self.upload_job_view),
                name="usage_importbatch_upload_job",
            ),
        ]
        return [*urls, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": _can_upload(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not _can_upload(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > upload_jobs.INLINE_BYTES:
                    job_id = upload_jobs.start(
                        kind=form.cleaned_data["kind"],
                        upload=upload,
                        dry_run=form.cleaned_data["dry_run"],
                        user_id=request.user.pk,
                    )
                    return redirect("admin:usage_importbatch_upload_job", job_id=job_id)
                report = _run_upload(form, request)
        else:
            form = UploadForm()
        return self._upload_page(request, form=form, report=report)

    def upload_job_view(self, request: HttpRequest, job_id: str) -> HttpResponse:
        """A large upload's import, run by a worker: the page reloads itself until the
        report is there."""
        if not _can_upload(request):
            raise PermissionDenied
        job = upload_jobs.status(job_id)
        if job is None:
            raise Http404("No such upload (uploads are kept for a day).")
        return self._upload_page(request, form=UploadForm(), report=job["report"], job=job)

    def _upload_page(self, request: HttpRequest, **context) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a feed",
            "opts": self.model._meta,
            "changelist_url": reverse("admin:usage_importbatch_changelist"),
            "upload_url": reverse("admin:usage_importbatch_upload"),
            "inline_bytes": upload_jobs.INLINE_BYTES,
            **context,
        }
        return TemplateResponse(request, "admin/usage/importbatch/upload.html", context)


def _can_upload(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm("usage.upload_feed")


def _run_upload(form: UploadForm, request: HttpRequest):
    """Run the uploaded file through the same service as `spp_import`; the Flex recompute
    of the affected teams is queued to Celery (a request must not wait for it)."""
    upload = form.cleaned_data["file"]
    with tempfile.TemporaryDirectory(prefix="spp-upload-") as folder:
        return import_file(
            form.cleaned_data["kind"],
            upload_jobs.save_upload(upload, Path(folder)),
            dry_run=form.cleaned_data["dry_run"],
            user=request.user,
            recompute="queue",
            name=Path(upload.name).name,
        )
