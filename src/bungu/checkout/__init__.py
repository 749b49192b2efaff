"""Checkout: the cart becomes an order through the card processor's hosted page.

Cart -> address -> shipping method -> review -> "Place order" (holds the stock, creates the
payment whose reference is the checkout attempt's id) -> the processor's page -> return ->
confirmation. The return page, the processor's webhook and the reconciliation job all end in
``services.complete_attempt``, so an attempt becomes at most one order and one charge.
"""
