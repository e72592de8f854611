"""Hyperparameter tuning jobs that run a real search over real child training jobs."""
