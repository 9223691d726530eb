"""User-facing errors: the CLI prints them as one sentence and exits 2, never a traceback."""


class UserError(Exception):
    """A mistake the user can fix: bad config, missing file, unknown version."""
