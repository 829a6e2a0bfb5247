"""The HTML report of a local auction run: the workflow drawn, the traces, what was done."""
