"""Terminal experience: a state reduced from events (model), pure views, one Live app."""
