"""Operator admin. Operators work across partners, so every admin reads and writes
through the maintenance alias (BYPASSRLS), deliberately, never the request role."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from spp.models import ApiKey, Membership, Partner, User

MAINT = "maint"


class MaintAdmin(admin.ModelAdmin):
    """A ModelAdmin whose queries and writes all go through the 'maint' alias."""

    using = MAINT

    def get_queryset(self, request):
        manager = getattr(self.model, "unscoped", self.model._base_manager)
        return manager.using(self.using).all()

    def save_model(self, request, obj, form, change):
        obj.save(using=self.using)

    def delete_model(self, request, obj):
        obj.delete(using=self.using)

    def delete_queryset(self, request, queryset):
        queryset.using(self.using).delete()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, using=self.using, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, using=self.using, **kwargs)


class ConstraintCheckingInlineFormSet(BaseInlineFormSet):
    """Django leaves an inline's own foreign key out of the model's constraint checks, so
    a duplicate (e.g. the same member twice) would reach the database as an
    IntegrityError; check each changed row's constraints with the key included."""

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form) or form.errors:
                continue
            try:
                form.instance.validate_constraints(exclude=form._get_validation_exclusions())
            except ValidationError as error:
                form.add_error(None, error)


class MaintInline(admin.TabularInline):
    using = MAINT
    extra = 0
    formset = ConstraintCheckingInlineFormSet

    def get_queryset(self, request):
        manager = getattr(self.model, "unscoped", self.model._base_manager)
        return manager.using(self.using).all()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, using=self.using, **kwargs)


class MembershipInline(MaintInline):
    model = Membership
    autocomplete_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(MaintAdmin):
    list_display = ["csn", "name", "currency", "token_price", "created_at"]
    search_fields = ["csn", "name"]
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(MaintAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(MaintAdmin):
    list_display = [
        "name",
        "partner",
        "prefix",
        "scope",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", "partner"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are created by partner admins or `manage.py create_api_key`
