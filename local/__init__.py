"""The local product: embedded AWS, demo data and the outbox. Never shipped to Lambda."""
