"""Model side of the recipe: architectures, pooling, losses, the trainer and the back-end."""
