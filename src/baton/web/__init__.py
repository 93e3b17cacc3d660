"""Baton's web surfaces (served by ``baton up``)."""
