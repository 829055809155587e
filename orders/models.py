"""JIT pre-sale orders, consumer orders, penalties and appeals (SPEC, "JIT pre-sale orders").

The models arrive with the JIT orders issue; the app is registered now so its URLs, admin and
migrations have their home from the start.
"""
