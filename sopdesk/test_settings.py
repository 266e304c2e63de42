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
if DATABASES["default"]["ENGINE"] == "sopdesk.core.sqlite":
    # A file, not :memory:, so threaded concurrency tests share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(_TEST_DIR / "test.sqlite3")}
# Content types and permissions are re-created by post_migrate after a plain transactional test's
# flush, with new ids; restoring serialized copies of them afterwards would collide. They are
# derived data (re-created on demand), so serialized rollbacks restore only the apps' own rows.
TEST_NON_SERIALIZED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
SOPDESK_BASE_URL = "http://testserver"
# The tests' chat and webhook receivers listen on loopback.
SOPDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
