"""The worker: connects, leases islands, runs them in short slices, reports."""
