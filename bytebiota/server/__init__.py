"""The experiment server: asyncio edge (app.py) around a coordinator without I/O."""
