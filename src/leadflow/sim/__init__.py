"""The lead simulator: seeded synthetic prospects who reply like people do.

Used by the demo, the crash-safety test and the benchmarks. The seller who reports deals won
or lost, and the customers who answer post-sale mail, are simulated too (``deals``).
Everything is a pure function of the seed and its inputs: the same seed gives the same
prospects, and the same message to the same prospect gets the same reply, however often it
is delivered.
"""

from leadflow.sim.deals import DealReport, customer_reply, deal_outcome
from leadflow.sim.mail import build_bounce_raw, build_ooo_raw, build_reply_raw
from leadflow.sim.prospects import Propensities, SimProspect, fate, generate_prospects
from leadflow.sim.replies import KINDS, SimReply, respond, truth_of

__all__ = [
    "KINDS",
    "DealReport",
    "Propensities",
    "SimProspect",
    "SimReply",
    "build_bounce_raw",
    "build_ooo_raw",
    "build_reply_raw",
    "customer_reply",
    "deal_outcome",
    "fate",
    "generate_prospects",
    "respond",
    "truth_of",
]
