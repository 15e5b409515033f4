"""Generated submissions of the optimizers module, each with the verdicts it must get: see corpus.py."""

from .corpus import Entry, build_corpus, catalog, forgeries

__all__ = ["Entry", "build_corpus", "catalog", "forgeries"]
