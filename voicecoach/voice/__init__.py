"""The coach's voice: renderers, the speech cache, the speaker."""
