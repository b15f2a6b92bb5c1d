"""Deposits: e-accounts (class II/III), deposit products, demand interest, term deposits."""
