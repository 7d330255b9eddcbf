"""Input: sources (path, stdin, compression, format), tables (file -> column batches)
and columns (-> float64 / class codes)."""
