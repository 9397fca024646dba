"""Helpdesk adapters: one module per helpdesk behind the `Helpdesk` protocol."""
