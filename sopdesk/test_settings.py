"""Test overrides: English messages, fast hashing, in-memory mail, inline jobs, temp files."""

import tempfile
from pathlib import Path

from sopdesk.settings import *

_TEST_DIR = Path(tempfile.mkdtemp(prefix="sopdesk-test-"))

LANGUAGE_CODE = "en"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}
MEDIA_ROOT = _TEST_DIR / "attachments"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so threaded concurrency tests share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(_TEST_DIR / "test.sqlite3")}
