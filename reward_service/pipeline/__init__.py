"""Pipeline stages: spans (format filter), repetition filter, answer extraction, routing.
``prepare.py`` runs them per request in two phases, a cheap plan and the filters."""
