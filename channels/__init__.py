"""Input channels of the psoas coach (referenced from credentials.yml)."""
