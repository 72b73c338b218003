"""The business rules of DOMAIN.md: plain Python and pydantic, no AWS."""
