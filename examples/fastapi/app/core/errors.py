"""Errors the services raise; app/main.py turns them into HTTP responses."""


class NotFoundError(Exception):
    """404: the thing asked for does not exist."""


class ConflictError(Exception):
    """409: it would break a uniqueness rule."""


class RuleViolationError(Exception):
    """422: well-formed, but against a business rule."""
