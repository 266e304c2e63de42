"""The organisations, teams and people of the demo service desk."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Permission

from sopdesk.accounts.choices import RequesterType, Role, TeamTier
from sopdesk.accounts.models import CustomerLevel, Department, Organization, Team, TeamMembership, User
from sopdesk.core import config_cache
from sopdesk.tickets.models import Category

DEMO_PASSWORD = "sopdesk-demo"  # noqa: S105  (published on purpose; only loaded in demo mode)
# The accounts the README lists; their presence means the demo has been loaded.
DEMO_LOGINS = ("admin", "agent", "engineer", "lead", "manager", "alice", "bob")
MONITORING_USERNAME = "monitoring"
INTERNAL = "internal"


@dataclass(frozen=True)
class OrganizationSpec:
    key: str
    name: str
    level: str | None  # CustomerLevel.code seeded by the accounts migrations
    is_internal: bool
    shares_tickets: bool
    departments: tuple[str, ...]
    mail_domain: str


ORGANIZATIONS = (
    OrganizationSpec(
        key=INTERNAL,
        name="启明信息技术有限公司 Qiming IT Services",
        level=None,
        is_internal=True,
        shares_tickets=False,
        departments=("信息技术部 IT", "财务部 Finance", "人力资源部 HR", "销售部 Sales"),
        mail_domain="qiming.example.com",
    ),
    OrganizationSpec(
        key="A",
        name="华东制造有限公司 Eastern Manufacturing Co.",
        level="vip",
        is_internal=False,
        shares_tickets=True,
        departments=("生产部 Production", "采购部 Purchasing"),
        mail_domain="eastern-mfg.example.com",
    ),
    OrganizationSpec(
        key="B",
        name="Bright Retail Ltd",
        level="standard",
        is_internal=False,
        shares_tickets=False,
        departments=("Store Operations", "Head Office"),
        mail_domain="brightretail.example.com",
    ),
)


@dataclass(frozen=True)
class TeamSpec:
    code: str
    name: str
    tier: TeamTier
    is_intake: bool = False


SERVICE_DESK = "service-desk"
TEAMS = (
    TeamSpec(SERVICE_DESK, "服务台 Service desk", TeamTier.FIRST_LINE, is_intake=True),
    TeamSpec("second-line", "二线支持 Second line", TeamTier.SECOND_LINE),
    TeamSpec("network", "网络组 Network", TeamTier.SPECIALIST),
    TeamSpec("rnd", "研发组 R&D", TeamTier.SPECIALIST),
)

# New tickets of these categories go straight to a specialist team instead of the service desk.
CATEGORY_TEAMS = {
    "network": "network",
    "network-wifi": "network",
    "network-vpn": "network",
    "network-lan": "network",
    "hardware-server": "second-line",
    "system": "second-line",
    "cloud": "second-line",
    "security": "second-line",
    "software-business": "rnd",
}


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    role: Role
    organization: str  # OrganizationSpec.key
    department: str
    languages: tuple[str, ...] = ("zh",)  # languages they write tickets in, preferred first
    teams: tuple[str, ...] = ()
    lead_of: tuple[str, ...] = ()
    is_superuser: bool = False
    is_staff: bool = False
    ticket_weight: float = 0.0  # how often a requester reports problems


_IT, _FINANCE, _HR, _SALES = ORGANIZATIONS[0].departments
_PRODUCTION, _PURCHASING = ORGANIZATIONS[1].departments
_STORES, _HEAD_OFFICE = ORGANIZATIONS[2].departments

PEOPLE = (
    Person("admin", "系统管理员 Admin", Role.ADMIN, INTERNAL, _IT, is_superuser=True, is_staff=True),
    Person("agent", "李娜 Li Na", Role.AGENT, INTERNAL, _IT, ("zh", "en"), teams=(SERVICE_DESK,)),
    Person("engineer", "王强 Wang Qiang", Role.ENGINEER, INTERNAL, _IT, teams=("second-line", "network")),
    Person("lead", "陈静 Chen Jing", Role.TEAM_LEAD, INTERNAL, _IT, lead_of=(SERVICE_DESK,)),
    Person("manager", "刘洋 Liu Yang", Role.MANAGER, INTERNAL, _IT, is_staff=True),
    Person("alice", "Alice Zhou 周爱丽", Role.REQUESTER, "A", _PURCHASING, ("en", "zh"), ticket_weight=3),
    Person("bob", "Bob Carter", Role.REQUESTER, "B", _HEAD_OFFICE, ("en",), ticket_weight=4),
    Person("zhaomin", "赵敏 Zhao Min", Role.AGENT, INTERNAL, _IT, teams=(SERVICE_DESK,)),
    Person("tom", "Tom Baker", Role.TEAM_LEAD, INTERNAL, _IT, ("en", "zh"), lead_of=("second-line",)),
    Person("sunlei", "孙磊 Sun Lei", Role.TEAM_LEAD, INTERNAL, _IT, lead_of=("network",)),
    Person("zhouting", "周婷 Zhou Ting", Role.TEAM_LEAD, INTERNAL, _IT, lead_of=("rnd",)),
    Person("priya", "Priya Nair", Role.ENGINEER, INTERNAL, _IT, ("en",), teams=("rnd",)),
    Person("wangfang", "王芳 Wang Fang", Role.REQUESTER, INTERNAL, _FINANCE, ticket_weight=3),
    Person("chenhao", "陈浩 Chen Hao", Role.REQUESTER, INTERNAL, _SALES, ticket_weight=3),
    Person("liuyan", "刘燕 Liu Yan", Role.REQUESTER, INTERNAL, _HR, ticket_weight=2),
    Person("emily", "Emily Clark", Role.REQUESTER, INTERNAL, _SALES, ("en",), ticket_weight=3),
    Person("david", "David Miller", Role.REQUESTER, INTERNAL, _FINANCE, ("en",), ticket_weight=2),
    Person("zhanglei", "张磊 Zhang Lei", Role.REQUESTER, "A", _PRODUCTION, ticket_weight=3),
    Person("xuming", "徐明 Xu Ming", Role.REQUESTER, "A", _PURCHASING, ticket_weight=2),
    Person("sarah", "Sarah Lee", Role.REQUESTER, "B", _STORES, ("en",), ticket_weight=3),
    Person("limei", "李梅 Li Mei", Role.REQUESTER, "B", _STORES, ("zh",), ticket_weight=3),
    # Raises the alert tickets; it is a system, so it gets no usable password.
    Person(MONITORING_USERNAME, "监控系统 Monitoring", Role.REQUESTER, INTERNAL, _IT),
)

# Models of these apps the manager may view in the admin.
MANAGER_VIEWS_APPS = ("accounts", "tickets", "casework")


@dataclass
class Directory:
    """The demo organisations, teams, categories and users, by key, code and username."""

    organizations: dict[str, Organization] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def requesters(self) -> list[tuple[Person, User]]:
        """Return the people who report problems, with their accounts."""
        return [(person, self.users[name]) for name, person in self.people.items() if person.ticket_weight > 0]


def create_directory(*, password_hash: str) -> Directory:
    """Create (or reuse) the demo organisations and teams and create the demo people.

    Every person gets `password_hash`: the demo password hashed once, since hashing it per
    account would cost more time than loading all the tickets.
    """
    directory = Directory()
    departments: dict[tuple[str, str], Department] = {}
    for spec in ORGANIZATIONS:
        level = CustomerLevel.objects.filter(code=spec.level).first() if spec.level else None
        organization, _ = Organization.objects.get_or_create(
            name=spec.name,
            defaults={"is_internal": spec.is_internal, "customer_level": level, "shares_tickets": spec.shares_tickets},
        )
        directory.organizations[spec.key] = organization
        for name in spec.departments:
            departments[spec.key, name] = Department.objects.get_or_create(organization=organization, name=name)[0]
    mail_domains = {spec.key: spec.mail_domain for spec in ORGANIZATIONS}
    for team_spec in TEAMS:
        directory.teams[team_spec.code] = Team.objects.get_or_create(
            code=team_spec.code,
            defaults={
                "name": team_spec.name,
                "tier": team_spec.tier,
                "is_intake": team_spec.is_intake,
                "email": f"{team_spec.code}@{mail_domains[INTERNAL]}",
            },
        )[0]
    routed = 0
    for code, team_code in CATEGORY_TEAMS.items():
        # Keep a routing an administrator has already chosen.
        routed += Category.objects.filter(code=code, default_team__isnull=True).update(
            default_team=directory.teams[team_code]
        )
    if routed:
        config_cache.bump()  # a bulk update sends no signal: running processes must reload the categories
    directory.categories = {category.code: category for category in Category.objects.select_related("default_team")}
    for number, person in enumerate(PEOPLE, start=1):
        directory.people[person.username] = person
        directory.users[person.username] = _create_person(
            person,
            password_hash=password_hash,
            number=number,
            organization=directory.organizations[person.organization],
            department=departments[person.organization, person.department],
            mail_domain=mail_domains[person.organization],
        )
    memberships = [
        TeamMembership(
            team=directory.teams[code], user=directory.users[person.username], is_lead=code in person.lead_of
        )
        for person in PEOPLE
        for code in (*person.teams, *person.lead_of)
    ]
    TeamMembership.objects.bulk_create(memberships)
    directory.users["manager"].user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=MANAGER_VIEWS_APPS, codename__startswith="view_")
    )
    return directory


def _create_person(
    person: Person,
    *,
    password_hash: str,
    number: int,
    organization: Organization,
    department: Department,
    mail_domain: str,
) -> User:
    user = User(
        username=person.username,
        display_name=person.name,
        email=f"{person.username}@{mail_domain}",
        phone=f"+86 21 5555 {number:04d}",
        role=person.role,
        organization=organization,
        department=department,
        requester_type=RequesterType.INTERNAL if organization.is_internal else RequesterType.CUSTOMER,
        language="en" if person.languages[0] == "en" else "zh-hans",
        is_superuser=person.is_superuser,
        is_staff=person.is_staff,
    )
    if person.username == MONITORING_USERNAME:
        user.set_unusable_password()
    else:
        user.password = password_hash
    user.save()
    return user
