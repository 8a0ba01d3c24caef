"""Training a compiled model: the task (loss, metrics, output), optimizers, schedules, the
fit loop with its callbacks, backups and resumable callbacks, signals and fine-tuning."""
