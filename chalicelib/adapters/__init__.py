"""AWS behind small adapters, each implementing a context's port. Only `chalicelib.bootstrap` wires them."""
