"""Loan servicing: loan accounts and installments, repayments, prepayments, reversals, the loan
ledger (贷款明细账), end-of-day steps (auto-debit, accrual, overdue, penalty and compound interest,
five-level classification), overdue inspections, collections and post-loan inspections."""
