"""Search attributes Baton registers and sets so runs can be listed by kind,
name and domain status without querying each workflow."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

BATON_KIND = SearchAttributeKey.for_keyword("BatonKind")
BATON_NAME = SearchAttributeKey.for_keyword("BatonName")
BATON_STATUS = SearchAttributeKey.for_keyword("BatonStatus")
# Who may decide a pending approval right now (approvers and delegates).
BATON_APPROVERS = SearchAttributeKey.for_keyword_list("BatonApprovers")

# The event types a run's open waits want (`baton send` without a run id
# delivers to the runs waiting for its type).
BATON_WAITING = SearchAttributeKey.for_keyword_list("BatonWaiting")

ALL_KEYS: tuple[SearchAttributeKey, ...] = (
    BATON_KIND,
    BATON_NAME,
    BATON_STATUS,
    BATON_APPROVERS,
    BATON_WAITING,
)
