"""Upgrading a Python workflow with runs in flight (docs/upgrades.md).

``v1`` is what runs today; ``v2`` changes the order of its steps behind
``workflow.patched``, so runs started on ``v1`` finish on ``v2`` the way they
began; ``v2_unpatched`` makes the same change without the patch, which
``baton replay`` refuses against ``v1``'s recorded histories."""
