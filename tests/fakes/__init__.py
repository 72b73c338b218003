"""In-memory fakes of every port, faithful enough to be wrong in the same ways as the real adapters:
conditional writes fail at commit, stored things are copies, and a transaction is all or nothing."""
