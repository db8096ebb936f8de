"""Results anyone can verify: their identity (token, number), the public check and its management."""
