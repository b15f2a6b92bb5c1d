"""Shared kernel: money, calendar, database and unit of work, errors, audit, crypto, masking,
idempotency, events. The kernel knows no feature."""
