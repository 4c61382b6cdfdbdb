"""The music branch: MusicVAE-style melody windows, models and generation."""
