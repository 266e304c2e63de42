from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import ApiToken, CustomerLevel, Department, Organization, Team, TeamMembership, User
from sopdesk.core.admin import NoDeleteAdmin, ReadOnlyAdmin


@admin.register(CustomerLevel)
class CustomerLevelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "priority_boost", "rank"]
    list_editable = ["priority_boost", "rank"]


class DepartmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Department
    extra = 0
    can_delete = False


@admin.register(Organization)
class OrganizationAdmin(NoDeleteAdmin):
    list_display = ["name", "customer_level", "is_internal", "shares_tickets", "is_active"]
    list_filter = ["customer_level", "is_internal", "is_active"]
    search_fields = ["name"]
    inlines = [DepartmentInline]


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "tier", "is_intake", "is_active"]
    list_filter = ["tier", "is_active"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "display_name", "email", "role", "organization", "is_active"]
    list_filter = ["role", "is_active", "organization", "requester_type"]
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("Service desk"),
            {
                "fields": [
                    "role",
                    "display_name",
                    "phone",
                    "organization",
                    "department",
                    "requester_type",
                    "language",
                    "time_zone",
                    "email_muted_kinds",
                ]
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Users own tickets and timeline entries: deactivate instead of deleting.
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username"]
