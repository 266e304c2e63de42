from django.db import migrations

# English words are now indexed with their stems too (sopdesk.search.segment): every ticket and
# published article waits for the indexing job (every five minutes, or `manage.py reindex_search`).
# Until it has run, old documents are still found by their words as before.
NOTE_ALL = [
    "INSERT INTO search_pendingticket (ticket_id, noted_at) SELECT id, CURRENT_TIMESTAMP FROM tickets_ticket",
    "INSERT INTO search_pendingarticle (article_id, noted_at) "
    "SELECT id, CURRENT_TIMESTAMP FROM kb_article WHERE live_version_id IS NOT NULL",
]


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0002_articles'),
    ]

    operations = [migrations.RunSQL(NOTE_ALL, migrations.RunSQL.noop)]
