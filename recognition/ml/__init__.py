"""Django-free face recognition engine: detection, alignment, embedders, metrics.

Nothing in this package imports Django; configuration is passed in by the caller
(`recognition.runtime` builds the pipeline from settings).
"""
