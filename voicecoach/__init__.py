"""voicecoach: an offline voice coach for gentle lower-back stretches in bed."""

__version__ = "0.1.0"
