"""Orders: what a customer bought, kept for the law, with its events; cancel before shipment.

Checkout calls ``services.place_order`` once a payment is authorised; the order's stock is
the checkout's hold, converted. Money is ``Decimal`` dollars like catalogue prices, turned
into integer cents (``money.to_cents``) only at the card processor's door.
"""
