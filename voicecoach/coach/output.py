"""What the session says and asks for in one call, collected in order and handed back."""

from __future__ import annotations

from voicecoach.store.content import Phrases
from voicecoach.types import Action, End, Listen, Record, Say, SetVoice, StopSpeaking


class Output:
    """The actions of one call to the session; `flush` hands them over and starts afresh."""

    def __init__(self, phrases: Phrases) -> None:
        self.phrases = phrases
        self._actions: list[Action] = []
        self._listen: Listen | None = None  # the last Listen, asked again after a stray word

    def say(self, key: str, attempt: int = 0, **fields: object) -> None:
        self._actions.append(Say(self.phrases.say(key, attempt, **fields), key))

    def say_text(self, text: str, key: str) -> None:
        self._actions.append(Say(text, key))

    def stop_speaking(self) -> None:
        self._actions.append(StopSpeaking())

    def set_voice(self, rate_wpm: int, volume: float) -> None:
        self._actions.append(SetVoice(rate_wpm, volume))

    def record(self, kind: str, /, **data: object) -> None:
        self._actions.append(Record(kind, dict(data)))

    def listen(self, listen: Listen) -> None:
        self._listen = listen
        self._actions.append(listen)

    def listen_again(self) -> None:
        """Go on waiting as before (a word that means nothing here)."""
        if self._listen is not None:
            self._actions.append(self._listen)

    def end(self, end: End) -> None:
        self._listen = None
        self._actions.append(end)

    def flush(self) -> list[Action]:
        actions, self._actions = self._actions, []
        return actions
