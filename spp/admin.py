"""Operator admin. Operators work across partners, so every admin reads and writes
through the maintenance alias (BYPASSRLS), deliberately, never the request role."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

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


class MaintInline(admin.TabularInline):
    using = MAINT
    extra = 0

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
