"""ticket_link's Prometheus metrics, in one place so names and labels stay consistent.

Labels are bounded: configured helpdesk names, outcomes, event types and chains. Never a ticket
id, a tx hash or an address.
"""

from prometheus_client import Counter, Gauge, Histogram

CLAIMS = Counter(
    "ticket_link_claims_total",
    "Bot/agent claims by outcome: noted (note queued), duplicate (already queued or posted), checked "
    "(check only), deferred (deposit_check unavailable, queued for later), unavailable (check only, not answered)",
    ["outcome"],
)
LOCATED = Counter(
    "ticket_link_located_total",
    "Claims with a hash and no address, located by deposit_check (/v1/locate), by outcome: paired (one casino "
    "address on one chain: checked), nowhere, paid_none, paid_several, undeclared (noted, not checked)",
    ["outcome"],
)
WEBHOOKS = Counter(
    "ticket_link_webhooks_total", "Webhooks by helpdesk and result (accepted, rejected)", ["helpdesk", "result"]
)
NOTES = Counter(
    "ticket_link_notes_total",
    'Note delivery attempts by helpdesk and result (delivered, retried, failed, superseded: a "credit it" '
    "taken back before posting by a later claim of the same tx)",
    ["helpdesk", "result"],
)
NOTE_LAG = Histogram(
    "ticket_link_note_delivery_lag_seconds",
    "From the note's enqueue to its posting",
    ["helpdesk"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
# Set by the worker only; `mostrecent`: an API's `serve --workers N` shows one series, not one per process.
OUTBOX = Gauge(
    "ticket_link_outbox_notes",
    "Notes accepted and not yet posted or refused (read once per reconcile round)",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST = Gauge(
    "ticket_link_outbox_oldest_seconds",
    "Age of the oldest note in the outbox, from its acceptance (0 when empty; read once per reconcile round)",
    multiprocess_mode="mostrecent",
)
EVENTS = Counter(
    "ticket_link_events_consumed_total", "deposit_check events handled and acknowledged", ["chain", "type"]
)
EVENTS_FAILED = Counter(
    "ticket_link_events_failed_total",
    "deposit_check events that could not be handled (left pending and tried again; type 'consumer': the loop itself)",
    ["chain", "type"],
)
SIGN_INS = Counter(
    "ticket_link_web_sign_ins_total",
    "Web-form sign-in attempts by outcome: signed_in, refused (wrong name or password), limited (a window "
    "full), busy (too many password checks waiting), unavailable (the attempt counter did not answer)",
    ["outcome"],
)
PASSWORD_CHECKS = Counter("ticket_link_web_password_checks_total", "scrypt password checks run (web-form sign-in)")
UNREPLICATED = Counter(
    "ticket_link_unreplicated_writes_total",
    "Writes WAIT did not see reach a replica in time (Sentinel), by what they were",
    ["what"],
)
