"""Reading trial lists, score files and embeddings for scoring and metrics."""
