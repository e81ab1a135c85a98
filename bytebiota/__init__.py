"""ByteBiota: a Tierra-style digital-evolution platform with a mypyc-compiled core."""

__version__ = "0.1.0"
