"""`make bench`: each figure measured beside its floor and checked against its budget."""
