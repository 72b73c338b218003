"""A requisitioner's orderers (DOMAIN.md Flow 3): created by the requisitioner or self-registered and approved
by it, listed, edited, deleted, switched to; and the order that waits for its orderer's approval (R-REQ-1…7)."""
