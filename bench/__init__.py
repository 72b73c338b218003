"""`make bench`: figures about the product's cost on the embedded AWS, not pass/fail checks."""
