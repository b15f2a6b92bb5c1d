"""Input and output shapes of the workflow API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhanye.core.text import FreeText

Action = Literal["approve", "reject", "return", "delegate", "cosign", "comment", "resubmit", "withdraw"]
FactValue = str | int | float | bool | None


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    size: int = Field(ge=0, le=1_000_000_000)
    sha256: Annotated[str, StringConstraints(pattern="^[0-9a-f]{64}$")] | None = None
    ref: Annotated[str, StringConstraints(max_length=200)] | None = None


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action
    comment: FreeText = ""
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    adjustments: dict[Annotated[str, StringConstraints(max_length=64)], str | int | float] | None = None
    to_step: Annotated[str, StringConstraints(max_length=64)] | None = None
    staff_id: int | None = Field(default=None, ge=1)
    facts: dict[Annotated[str, StringConstraints(max_length=64)], FactValue] | None = None
    expected_version: int | None = Field(default=None, ge=1)


class StartIn(BaseModel):
    """Start a manually started process (e.g. the OA processes of the SLA table)."""

    model_config = ConfigDict(extra="forbid")
    process_key: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    summary: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)]
    subject_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")] | None = None
    facts: dict[Annotated[str, StringConstraints(max_length=64)], FactValue] = Field(default_factory=dict)


class DefinitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class TaskOut(BaseModel):
    id: int
    instance_id: int
    process_key: str
    version: int
    summary: str
    subject_type: str
    subject_id: str
    step_key: str
    step_name: str
    kind: str
    role: str | None
    institution_id: int
    assignee_id: int | None
    status: str
    outcome: str | None
    sla_state: str
    due_at: dt.datetime | None
    created_at: dt.datetime
    task_version: int
    can_act: bool
    facts: dict[str, Any]
