"""Drop-in reward functions for RL trainers (verl, OpenRLHF, TRL, slime) and the trainer-shaped
request/response mappings the HTTP door serves. Each module is named after its trainer."""
