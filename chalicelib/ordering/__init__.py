"""The catalogue, orders, placing them and how they end (DOMAIN.md Flow 2, R-ORD-*)."""
