"""Storefront pages: ``browse`` (buyers), ``account`` (login, sign-up), ``seller``."""
