"""Background jobs of the ticket app: thin wrappers that load ids and call one function.

None at the moment: ticket notifications are delivered by the outbox jobs (sopdesk.notifications.tasks).
"""
