"""`python -m voicecoach`: the same as the `voicecoach` command."""

from voicecoach.cli import main

raise SystemExit(main())
