"""Workflow: approval processes, task inbox (待办), working-hour SLAs with yellow and red cards."""
