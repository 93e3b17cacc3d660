"""Operations: health checks, recovery policies and actions, the monitor,
metrics, SLAs and analytics (docs/operations.md)."""
