"""Source matching: the archive of originals, spin-proof fingerprints, retrieval and alignment.

Modules: ``archive`` (storage), ``fingerprint`` (skeleton shingles, MinHash, LSH keys), ``index``
(candidate retrieval), ``align`` (sentence alignment and word substitutions), ``sources``
(``find_sources`` and the US301 findings). Nothing heavy is imported here.
"""
