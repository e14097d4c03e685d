"""partnerstack as the simulator serves it (filled in below)."""

from connectors.simulator.server import Answer


def error(status, message):
    return Answer(status, {"message": message, "status": status})


def throttled(sim, retry_after):
    return Answer(429, {"message": "rate limited", "status": 429}, {"Retry-After": "1"} if retry_after else {})


def handle(sim, req):
    return error(404, "not implemented")
