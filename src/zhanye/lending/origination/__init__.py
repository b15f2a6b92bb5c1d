"""Lending origination: applications, admission and decisions, approval, credit lines, contracts
signed on the tablet, drawdowns with entrusted payment, payment management, village pre-credit."""
