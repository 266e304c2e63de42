"""sopdesk's SQLite database backend: Django's, with writers queued instead of retrying."""
