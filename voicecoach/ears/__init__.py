"""Hearing the user: voice activity, echo handling, barge-in, the listener, the engines, intents."""
