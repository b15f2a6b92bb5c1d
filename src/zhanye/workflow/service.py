"""The workflow's use cases, in one place for other features and for the routes.

Starting a process (lending, devices, decisions, fraud, ... call this)::

    from zhanye.workflow import service as workflow

    inst = workflow.start(session, actor, process_key="loan.approval",
                          subject_type="loan_application", subject_id=app.id,
                          facts={"amount_fen": 12_000_000, "product": "farmer_credit"},
                          submitter=actor.staff_id, institution_id=app.institution_id,
                          summary="张三 经营贷 12万元")

- ``process_key``: a published definition; its current version is used and kept by the instance.
- ``subject_type``/``subject_id``: what is being approved (the caller's own identifiers).
- ``facts``: JSON scalars the definition routes on (``when`` conditions) and shows to approvers;
  every fact a condition names must be present (else 422 ``workflow_facts_invalid``).
- ``submitter``: staff id who submitted (gets "returned" tasks and outcome notifications;
  cannot approve their own submission); defaults to the actor.
- ``institution_id``: where the subject belongs (scope and assignee resolution); defaults to the
  submitter's institution; must be inside the actor's scope.
- ``now``: only for tests and replays (a frozen clock).

The subject's feature learns the result in the same transaction::

    def on_outcome(session, outcome: workflow.Outcome) -> None:
        if outcome.status == "approved":
            amount = outcome.adjustments.get("approved_amount_fen", outcome.facts["amount_fen"])
            ...
    workflow.register_outcome_handler("loan_application", on_outcome)

``outcome.status`` is approved | rejected | returned | cancelled. The same payload is published
as the domain event ``workflow.instance.<status>`` (``zhanye.core.events.subscribe``).
"""

from __future__ import annotations

from zhanye.workflow.definitions import (
    current_definition,
    definition_versions,
    get_definition,
    list_definitions,
    load_bundled,
    parse,
    publish_definition,
)
from zhanye.workflow.engine import (
    Outcome,
    cancel,
    get_instance,
    register_outcome_handler,
    start,
    start_manual,
)
from zhanye.workflow.notify import (
    Message,
    Notifier,
    list_notifications,
    mark_read,
    register_notifier,
    unread_count,
)
from zhanye.workflow.sla import board, metrics, scan
from zhanye.workflow.tasks import act, can_act, claim, get_task, inbox, open_count, release

__all__ = [
    "Message", "Notifier", "Outcome", "act", "board", "can_act", "cancel", "claim", "current_definition",
    "definition_versions", "get_definition", "get_instance", "get_task", "inbox", "list_definitions", "list_notifications",
    "load_bundled", "mark_read", "metrics", "open_count", "parse", "publish_definition", "register_notifier",
    "register_outcome_handler", "release", "scan", "start", "start_manual", "unread_count",
]
