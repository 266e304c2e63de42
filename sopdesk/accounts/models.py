"""Users, organisations, departments, teams (skill groups) and API tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.choices import (
    ALL_TICKETS_ROLES,
    READ_ONLY_ROLES,
    RequesterType,
    Role,
    TeamTier,
)
from sopdesk.core.models import NoDeleteModel


class CustomerLevel(models.Model):
    """A service level of customer organisations (VIP, standard) that can raise ticket priority."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    priority_boost = models.PositiveSmallIntegerField(
        _("priority boost"),
        default=0,
        help_text=_("Number of priority steps tickets of this level are raised (0 = none)."),
    )
    rank = models.PositiveSmallIntegerField(_("rank"), default=100, help_text=_("Lower ranks are listed first."))

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("customer level")
        verbose_name_plural = _("customer levels")

    def __str__(self) -> str:
        return self.name


class Organization(NoDeleteModel):
    """A customer organisation or the company itself; requesters belong to one."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_internal = models.BooleanField(_("is internal"), default=False)
    customer_level = models.ForeignKey(
        CustomerLevel,
        verbose_name=_("customer level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
    )
    shares_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
        help_text=_("When set, every requester of this organisation sees all its tickets."),
    )
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Department(NoDeleteModel):
    """A unit inside an organisation (e.g. Finance, Production)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["organization__name", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="department_unique_name_per_org")]

    def __str__(self) -> str:
        return f"{self.organization} / {self.name}"


class Team(NoDeleteModel):
    """A skill group that works tickets (service desk, second line, network, R&D, ...)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    tier = models.CharField(_("tier"), max_length=20, choices=TeamTier.choices, default=TeamTier.FIRST_LINE)
    is_intake = models.BooleanField(
        _("receives new tickets"),
        default=False,
        help_text=_("New tickets without a routed team land here (the service desk)."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("is active"), default=True)
    members: models.ManyToManyField[User, TeamMembership] = models.ManyToManyField(
        "accounts.User", through="TeamMembership", related_name="teams", verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        "accounts.User", verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    is_lead = models.BooleanField(_("is team lead"), default=False)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique_user_per_team")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team}"


class SopdeskUserManager(UserManager["User"]):
    def create_superuser(self, username: str, email: str | None = None, password: str | None = None, **extra):  # type: ignore[no-untyped-def, override]
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A person who asks for help or gives it; `role` decides what they may see and do."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REQUESTER)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    requester_type = models.CharField(
        _("requester type"), max_length=20, choices=RequesterType.choices, default=RequesterType.INTERNAL
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("IANA name; empty: the service desk's time zone.")
    )
    # Notification kinds (NotificationKind values) this user reads in the app only, not by e-mail.
    email_muted_kinds: models.JSONField[list[str], list[str]] = models.JSONField(
        _("notifications not sent by e-mail"), default=list, blank=True
    )
    credentials_revoked_at = models.DateTimeField(
        _("credentials revoked at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the account was last disabled or its password changed: sessions and API tokens end then."),
    )

    objects = SopdeskUserManager()  # type: ignore[misc]
    # (password, is_active) as loaded from the database, to tell what a save changes.
    _loaded_credentials: tuple[str | None, bool]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> User:
        instance = super().from_db(db, field_names, values)
        loaded = dict(zip(field_names, values, strict=True))
        instance._loaded_credentials = (loaded.get("password"), loaded.get("is_active", True))
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; disabling the account or changing its password ends its sessions and revokes its API tokens.

        Every path goes through here: the accounts actions, the admin's user and password forms,
        `changepassword`, and `set_password()` + `save()` from code. The session hash includes
        `credentials_revoked_at`, so re-enabling the account later does not revive old sessions.
        """
        ends_credentials = self._ends_credentials()
        if ends_credentials:
            self.credentials_revoked_at = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "credentials_revoked_at"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if ends_credentials:
                ApiToken.objects.filter(user=self, revoked_at__isnull=True).update(
                    revoked_at=self.credentials_revoked_at
                )
        self._loaded_credentials = (self.password, self.is_active)

    def _ends_credentials(self) -> bool:
        if self._state.adding:
            return False
        # set_password() leaves the raw password in `_password` until the save; Django clears it
        # for hash upgrades on login, which are not password changes.
        if getattr(self, "_password", None) is not None:
            return True
        loaded_password, was_active = getattr(self, "_loaded_credentials", (None, True))
        if was_active and not self.is_active:
            return True
        # set_unusable_password() (the admin's "disable password-based authentication").
        return loaded_password != self.password and not is_password_usable(self.password)

    def get_session_auth_hash(self) -> str:
        return self._credentials_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._credentials_hash(secret=fallback_secret)

    def _credentials_hash(self, *, secret: str | bytes | None) -> str:
        # Django's hash of the password plus the revocation time: a session stores this at login
        # and is flushed when it no longer matches. Without a revocation it equals Django's own.
        value = self.password
        if self.credentials_revoked_at is not None:
            value = f"{value}|{self.credentials_revoked_at.isoformat()}"
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def is_requester(self) -> bool:
        return self.role == Role.REQUESTER and not self.is_superuser

    @property
    def is_agent_staff(self) -> bool:
        """Return True for anyone on the support side (not a requester)."""
        return self.is_active and not self.is_requester

    @property
    def is_administrator(self) -> bool:
        """Return True for an active administrator or superuser: who configures the desk (channels, SLA, routing)."""
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN)

    @property
    def sees_all_tickets(self) -> bool:
        return self.is_superuser or self.role in ALL_TICKETS_ROLES

    @property
    def is_read_only(self) -> bool:
        return not self.is_superuser and self.role in READ_ONLY_ROLES


def hash_token(raw_token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


class ApiToken(NoDeleteModel):
    """A bearer token for the REST API; only its hash is stored, it expires and can be revoked."""

    # PROTECT: tokens are kept for audit like everything else; users are deactivated, not deleted.
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, *, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
