"""Imported by the verifier pool's fork server only: runs a few comparisons once, so that the
lazy parts of sympy and the LaTeX parser are loaded there and every worker forked from it
starts warm. A replacement worker's first comparison would otherwise pay ~0.6 s of lazy
set-up inside its deadline."""

from reward_service.verifiers.symbolic_task import quiet_logs, warm_up

quiet_logs()
warm_up()
