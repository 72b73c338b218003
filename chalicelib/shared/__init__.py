"""What every context speaks: refusals with codes, who acts, time, transactions and command fields."""
