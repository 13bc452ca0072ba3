"""The virtual bedside: a room, scripted users and the echo replay, so the whole product runs without hardware."""
