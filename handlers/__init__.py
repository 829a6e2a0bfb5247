"""Lambda entry points: thin adapters from an AWS event to the domain and back.

One module per function, each with `handler(event, context)`. They import only what they
use and build their AWS clients once per container.
"""
