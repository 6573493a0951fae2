"""Models built from the public spikemem API."""
