"""The energy auction's rules, free of AWS, clocks and randomness.

Everything that can be decided without talking to AWS lives here: validating an order
batch, its expiry, the auction result model, what to do with each order result, where a
stored result goes and what an alert says. Callers pass in the time and the random source.
"""
