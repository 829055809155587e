"""JIT orders in the portal: the orders (to ship, every order, packing list) and the penalties
with their appeals."""
