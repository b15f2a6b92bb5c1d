"""Ledger: chart of accounts, double-entry journal, customer accounts (sub-ledgers), holds."""
