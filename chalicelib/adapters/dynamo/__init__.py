"""The single application table: the only place DynamoDB keys, items and conditions are built."""
