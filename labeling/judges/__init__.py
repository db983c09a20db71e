"""Judges (issue #18): models labelling comparisons beside the humans. ``selectors`` reads the
comparisons a judge run judges; ``services`` makes the judge and stores its verdicts."""
