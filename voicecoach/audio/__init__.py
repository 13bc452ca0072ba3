"""Audio in and out: the self-describing chunk, WAV files, sound devices, sources and players."""
