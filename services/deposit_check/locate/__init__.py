"""Locating a transaction by its hash alone (`POST /v1/locate`): which configured chains hold it, how deep, and
which of the casino's own addresses it paid. A finding, never a verdict: the agent checks those addresses."""
