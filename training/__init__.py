"""Training: branching customer scenarios, sign-offs, and the authority each rep holds."""
