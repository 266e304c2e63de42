"""Request and response shapes of the knowledge-base API. Shaping and validation only; no writes."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from sopdesk.core.api import PlainStr
from sopdesk.kb.choices import ArticleStatus, ArticleType, ArticleVisibility, ReviewEntryKind
from sopdesk.kb.models import TAG_MAX_LENGTH, TAGS_MAX, TEXT_MAX_LENGTH
from sopdesk.tickets.api.schemas import AnswerSchema, UserRef

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)
Code = Annotated[PlainStr, Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
Text = Annotated[str, Field(max_length=TEXT_MAX_LENGTH)]
Tag = Annotated[PlainStr, Field(max_length=TAG_MAX_LENGTH)]
OrganizationName = Annotated[PlainStr, Field(min_length=1, max_length=200)]
ArticleId = Annotated[int, Field(ge=1, le=2**62)]
VersionNumber = Annotated[int, Field(ge=1, le=2**31)]


class ArticlePath(Schema):
    article_id: ArticleId


class ArticleVersionPath(Schema):
    article_id: ArticleId
    number: VersionNumber


class ArticleTicketLinkPath(Schema):
    article_id: ArticleId
    number: PlainStr = Field(max_length=32)


class KbCategoryPath(Schema):
    code: PlainStr = Field(max_length=50)


# --- categories ------------------------------------------------------------------------------


class KbCategoryIn(Schema):
    model_config = _STRICT

    code: Code
    name: PlainStr = Field(min_length=1, max_length=100)
    parent: Code | None = Field(None, description="Code of the parent category.")
    is_active: bool = True
    sort_order: int = Field(100, ge=0, le=32767)


class KbCategoryUpdateIn(Schema):
    """Partial update; omitted fields stay. The code never changes."""

    model_config = _STRICT

    name: PlainStr | None = Field(None, min_length=1, max_length=100)
    parent: Code | None = Field(None, description="Code of the parent category; null makes it a top category.")
    is_active: bool | None = None
    sort_order: int | None = Field(None, ge=0, le=32767)


class KbCategoryOut(AnswerSchema):
    code: str
    name: str
    parent: str | None
    is_active: bool
    sort_order: int


# --- articles -------------------------------------------------------------------------------


class ArticleIn(Schema):
    """A new draft; the caller owns it unless a knowledge-base admin names another `owner`."""

    model_config = _STRICT

    title: PlainStr = Field(min_length=1, max_length=200)
    article_type: ArticleType = ArticleType.FAQ
    category: Code | None = None
    problem: Text = ""
    diagnosis: Text = ""
    solution: Text = ""
    notes: Text = ""
    applies_to: Text = ""
    visibility: ArticleVisibility = ArticleVisibility.INTERNAL
    organizations: list[OrganizationName] = Field(
        default_factory=list, max_length=100, description="Names of the organisations whose customers may read it."
    )
    tags: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX)
    owner: PlainStr | None = Field(None, max_length=150, description="Username of the owner.")
    review_due_on: date | None = None


class ArticleUpdateIn(Schema):
    """Partial update of the working copy; a published or outdated article becomes a draft again."""

    model_config = _STRICT

    title: PlainStr | None = Field(None, min_length=1, max_length=200)
    article_type: ArticleType | None = None
    category: Code | None = None
    problem: Text | None = None
    diagnosis: Text | None = None
    solution: Text | None = None
    notes: Text | None = None
    applies_to: Text | None = None
    visibility: ArticleVisibility | None = None
    organizations: list[OrganizationName] | None = Field(None, max_length=100)
    tags: list[Tag] | None = Field(None, max_length=TAGS_MAX)
    owner: PlainStr | None = Field(None, max_length=150)
    review_due_on: date | None = None


class ArticleListParams(Schema):
    status: ArticleStatus | None = None
    article_type: ArticleType | None = None
    category: PlainStr | None = Field(None, max_length=50, description="Category code (its subcategories included).")
    review_due_by: date | None = Field(None, description="Only articles whose review is due on or before this date.")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


class ArticleTransitionIn(Schema):
    model_config = _STRICT

    action: Literal["submit", "request_changes", "approve", "mark_outdated", "archive"]
    comment: Text = ""


class ArticleCommentIn(Schema):
    model_config = _STRICT

    comment: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)


class ArticleFeedbackIn(Schema):
    model_config = _STRICT

    helpful: bool | None = Field(None, description="Was the article helpful?")
    suggestion: Text = Field("", description="A suggested correction.")


class ArticleDiffParams(Schema):
    from_version: VersionNumber
    to_version: VersionNumber | None = Field(None, description="Omitted: the working copy.")


class ArticleOut(AnswerSchema):
    """An article. Staff get the working copy; other readers get the published version."""

    id: int
    status: ArticleStatus
    version: int | None = Field(description="Number of the version readers see; null when none.")
    title: str
    article_type: ArticleType
    category: str | None
    problem: str
    diagnosis: str
    solution: str
    notes: str
    applies_to: str
    visibility: ArticleVisibility
    organizations: list[str]
    tags: list[str]
    owner: UserRef | None
    review_due_on: date | None
    source_ticket: str | None
    views: int
    helpful_votes: int
    not_helpful_votes: int
    tickets_solved: int
    created_at: datetime
    updated_at: datetime


class ArticlePage(AnswerSchema):
    count: int
    items: list[ArticleOut]


class ArticleVersionOut(AnswerSchema):
    number: int
    published_at: datetime
    published_by: UserRef | None
    title: str
    article_type: ArticleType
    category: str | None
    problem: str
    diagnosis: str
    solution: str
    notes: str
    applies_to: str
    visibility: ArticleVisibility
    organizations: list[str]
    tags: list[str]


class ArticleVersionSummaryOut(AnswerSchema):
    number: int
    title: str
    published_at: datetime
    published_by: UserRef | None


class ArticleDiffLineOut(AnswerSchema):
    op: Literal["equal", "delete", "insert"]
    text: str


class ArticleFieldDiffOut(AnswerSchema):
    field: str
    label: str
    changed: bool
    lines: list[ArticleDiffLineOut]


class ArticleDiffOut(AnswerSchema):
    from_version: int
    to_version: int | None = Field(description="Null: the working copy.")
    fields: list[ArticleFieldDiffOut]


class ArticleReviewEntryOut(AnswerSchema):
    kind: ReviewEntryKind
    author: UserRef | None
    comment: str
    version: int | None
    created_at: datetime


class ArticleFeedbackOut(AnswerSchema):
    helpful: bool | None
    suggestion: str
    user: UserRef | None
    version: int | None
    created_at: datetime


class ArticleTicketLinkOut(AnswerSchema):
    number: str
    title: str
    linked_by: UserRef | None
    linked_at: datetime


class ArticleAttachmentOut(AnswerSchema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    is_image: bool
    url: str = Field(description="The site path that serves the file to whoever may read the article.")
    markdown: str = Field(description="The Markdown line that shows the image (or links the file) in an article.")
    uploaded_by: UserRef
    created_at: datetime
