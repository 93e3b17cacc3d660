"""The demo: local stand-in services and the runs `baton demo` shows."""
