"""A decision step over any subject (an order's step today): its link, assignees, states and signature."""
