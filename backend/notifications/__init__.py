"""Outgoing notifications (email, Slack and Teams webhooks): recorded with the change that caused them, sent by a
dispatcher that retries with backoff, and shown in the panel."""
