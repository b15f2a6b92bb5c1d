"""Where a task's subject is shown. Feature packages register the page of each subject type they
start processes for, so an approver goes from the task to the application (customer, decision
and its trace, images) or the loan it is about, when allowed to read it."""

from __future__ import annotations

from dataclasses import dataclass

from zhanye.core.context import Principal


@dataclass(frozen=True)
class SubjectPage:
    subject_type: str
    url: str  # with ``{id}``
    label: str  # English message id, translated on the page
    permission: str


_pages: dict[str, SubjectPage] = {}


def register(page: SubjectPage) -> None:
    _pages[page.subject_type] = page


def link(subject_type: str, subject_id: str, principal: Principal) -> tuple[str, str] | None:
    """(url, label) of the subject's page for this user, or None."""
    page = _pages.get(subject_type)
    if page is None or not subject_id.isdigit() or not principal.can(page.permission):
        return None
    return page.url.format(id=subject_id), page.label
