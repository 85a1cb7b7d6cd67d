"""Checkers that decide correctness: the symbolic verifier (Math-Verify in killable worker
processes) and, later, the LLM judge."""
