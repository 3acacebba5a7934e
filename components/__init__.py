"""Custom NLU graph components of the psoas coach (referenced from config.yml)."""
