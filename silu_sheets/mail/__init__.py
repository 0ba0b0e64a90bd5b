"""The mail gateway: a shared mailbox read over IMAP (or a local Maildir, or a drop folder),
each form processed exactly once, replies sent from the ledger's outbox.

Modules are named after the protocol concept they handle, as imap_tools does:

- ``settings``  silu.toml ``[mail]``, ``[mail.imap]``, ``[mail.smtp]``; passwords from the environment
- ``message``   one RFC 5322 message: sender, forms attached, ignored files, automatic mail
- ``mailbox``   the shared IMAP mailbox: PEEK fetch, UIDVALIDITY, moves that never expunge others
- ``maildir``   the embedded default: a local Maildir inbox and a local sent folder
- ``drop``      a watched drop folder, one subfolder per staff address
- ``gateway``   one pass over a mailbox: skip what was handled, ingest, answer once, then move
- ``commands``  subject commands (HELP, TEMPLATE, STATUS, …)
- ``smtp``      the outbox worker: send, retry 4xx with backoff, report 5xx to the administrator
- ``idle``      ``silu serve``: IMAP IDLE, reconnecting with backoff, polling where IDLE is missing
- ``printer``   a process of its own attaching the printed copies of a backlog's replies
"""
