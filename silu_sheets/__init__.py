"""silu-sheets: a small firm's sales process on Excel forms and email, kept in a SQLite ledger."""

__version__ = "0.1.0"
