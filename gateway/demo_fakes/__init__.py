"""Fake X and Telegram Bot API servers on 127.0.0.1, following the real paths and JSON.

They live in the package, not under tests/, because `lapor-gateway demo` starts them to
show a mention and a Telegram message going through the gateway beside the SMS; the
tests import them from here.
"""
