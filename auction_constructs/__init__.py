"""CDK constructs of the auction system, one per concern.

Named `auction_constructs`, not `constructs`: a top-level package called `constructs`
would shadow the library of that name that aws-cdk-lib imports, and the app would break.
"""
