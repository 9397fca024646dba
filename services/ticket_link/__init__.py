"""ticket_link: takes tx hashes from tickets, asks deposit_check, posts the verdict as an internal note.

The player stays pseudonymous: ticket references are kept only as keyed hashes (or encrypted in
queued jobs), and nothing of a helpdesk payload but the ticket id and its text is ever read.
"""
