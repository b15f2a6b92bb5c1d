"""Administrative divisions, households, whole-village credit campaigns."""
