"""Auctions of renowned designers' works: lots, bids, proxy bidding, soft close, deposits."""
