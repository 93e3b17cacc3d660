"""Baton and the infrastructure around it (docs/integrations.md): lifecycle
events out to webhooks and Redis, through a durable local outbox."""
