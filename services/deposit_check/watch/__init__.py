"""The watcher: follows each chain block by block and turns status changes into events."""
