"""The ways in: one Chalice blueprint per area, each turning a request into one service call."""
