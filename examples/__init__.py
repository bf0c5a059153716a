"""Runnable examples of user-provided evaluators (``source: callable``)."""
