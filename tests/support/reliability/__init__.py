"""The reliability suite's harness (servers, generated corpora, abuse cases): run by `python -m scripts.reliability`
and, in small samples, by tests/reliability."""
