from django.db import migrations

# PostgreSQL: each ticket's vectors now also hold its visibility keys (tickets.querysets.ticket_keys),
# so that the index narrows matches to a viewer's tickets. One statement adds them to the stored
# documents (about a minute per million tickets); later changes write them with the text.
# SQLite's FTS5 table holds no keys: nothing to do there.
ADD_KEYS = """
UPDATE search_ticket_index AS i SET
    public_vector = i.public_vector || array_to_tsvector(k.keys),
    all_vector = i.all_vector || array_to_tsvector(k.keys)
FROM (
    SELECT id, array_remove(ARRAY[
        'requester:' || requester_id,
        'organization:' || organization_id,
        'team:' || team_id,
        'assignee:' || assignee_id
    ], NULL) AS keys
    FROM tickets_ticket
) AS k
WHERE k.id = i.ticket_id
"""


def add_keys(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD_KEYS)


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0003_english_stems"),
        ("tickets", "0008_add_updated_indexes"),
    ]

    operations = [migrations.RunPython(add_keys, migrations.RunPython.noop)]
