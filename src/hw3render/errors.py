"""The renderer's own foreseeable failures, in hw3core's one family of user errors.

They are `UserError`s, so `hw3`'s entry point prints them as one line, like a missing
data file; they live here because only a render can cause them.
"""

from __future__ import annotations

from hw3core.errors import UserError


class SourceError(UserError, ValueError):
    """A chapter's source breaks a rule of the book: a cross-reference without a target, a
    figure without a caption, an unclosed cell, an inline value Quarto would not print."""


class MissingOutputError(UserError, FileNotFoundError):
    """A file the book links to (the PDF, a notebook) was not produced by this render."""
