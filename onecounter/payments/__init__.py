"""Online payment of a dossier's fee, for full-online procedures.

A citizen's paid draft is the only way into submission for a procedure with an
online fee: ``services.payment_start`` creates a ``Payment`` (one per attempt,
each with its own unique reference) and the provider's redirect URL; the
provider then tells the portal the result twice, server to server (the
callback, VNPAY's IPN) and through the citizen's browser (the return). Both go
through ``services.payment_callback``: the signature is checked, everything
received is logged as a ``PaymentCallback`` (append-only), and the first
verified success marks the payment and the dossier paid under row locks. After
commit the draft is submitted (``onecounter.intake.filing.submit_online``) and the
fee receipt slip is rendered (``tasks.after_payment``).

Modules:
    base      the provider interface, the ``Result`` of a verification, the registry
    vnpay     a VNPAY-style gateway (HMAC-SHA512 over the sorted, URL-encoded query)
    test      the built-in test gateway of the demo (a fake bank page served by the portal)
    services  payment_required, payment_start, payment_callback, payment_submit,
              payment_after_paid, fee_receipt
    receipts  the fee receipt ("Biên lai thu phí, lệ phí"), a PDF of the dossier
    selectors reads for the pages and the API
    tasks     after_payment (submit + receipt), sweep_paid_payments (the outbox sweep)
    views     the pages (namespace ``payments``); apis: the citizen's API route
"""
