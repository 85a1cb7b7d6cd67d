"""Pipeline stages, in the order a request meets them: spans (format filter), repetition
filter, answer extraction, routing."""
