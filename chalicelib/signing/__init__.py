"""Strong signing at the moment of deciding (R-ORD-4): a one-time code by SMS now, BankID beside it later."""
