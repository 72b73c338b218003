"""Telling people: a notification to its recipients, rendered from its template, sent as mail."""
