"""Deposit use cases, one import for callers (api, views, other features)::

    from zhanye.deposits import service as deposits
    deposits.open_eaccount(session, actor=..., institution_id=..., customer_id=..., eclass="II",
                           bound_card="6222...", customer_verified=True)
    deposits.purchase(session, actor=..., eaccount_id=..., product_id=..., amount_fen=...)

The functions live in ``products`` (configuration and quotes), ``eaccounts`` (e-accounts,
limits, clearing), ``term`` (term deposits) and ``interest`` (EOD work).
"""

from __future__ import annotations

from zhanye.deposits.eaccounts import (  # noqa: F401
    finish_clearing,
    get_eaccount,
    get_order,
    internal_transfer,
    limits,
    list_eaccounts,
    open_eaccount,
    start_clearing,
)
from zhanye.deposits.products import (  # noqa: F401
    create_product,
    demand_rate,
    get_product,
    list_products,
    product_by_code,
    quote,
    set_rate,
)
from zhanye.deposits.term import (  # noqa: F401
    check_purchase,
    get_term,
    list_terms,
    purchase,
    quote_withdrawal,
    term_view,
    withdraw,
)
