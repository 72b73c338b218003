"""Organisations, people and roles (DOMAIN.md Flow 1, R-ONB-*)."""
