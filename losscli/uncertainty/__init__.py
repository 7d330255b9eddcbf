"""Uncertainty for every loss: bucketed bootstrap intervals and paired tests (issue 14).

The statistical core, numpy only, imported lazily (``import losscli`` does not load it):

* :mod:`losscli.uncertainty.buckets` — ``bucket_of(rows, seed, n_buckets)``, a row's
  bucket from a counter-based hash of (seed, row number);
* :mod:`losscli.uncertainty.states` — for every loss id, the *linear sums* a bucket keeps
  (``terms(batch) -> (n, F)``, summed per bucket) and the vectorised ``f(sums) -> value``;
* :mod:`losscli.uncertainty.resample` — Poisson bootstrap weights, percentile intervals,
  the paired bootstrap and approximate-randomization tests, verdicts, Holm's correction.

Every loss of the library is ``f(s)`` of a vector ``s`` of sums over rows, so a
bootstrap replicate only needs the per-bucket sums: ``replicate sums = W @ S`` with
``W`` the (resamples × buckets) weights and ``S`` the (buckets × fields) states.
"""
