"""The little both services share: config-file loading, API keys, masking logs. Nothing else."""
