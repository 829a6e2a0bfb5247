"""tests/unit/iam.py decides as IAM does where the policies here depend on it."""

from __future__ import annotations

from tests.unit.iam import Request, decide, decide_within


def statement(condition: dict, effect: str = "Allow", resource: str = "*") -> dict:
    return {"Statement": [{"Effect": effect, "Action": "s:Do", "Resource": resource,
                           "Condition": condition}]}  # fmt: skip


def request(resource: str = "arn:aws:s:eu-west-1:1:thing/x", **context: str) -> Request:
    return Request({"AWS": "caller"}, "s:Do", resource, "1", context)


def test_a_missing_key_fails_a_condition_but_a_negated_or_if_exists_one():
    assert decide([statement({"StringEquals": {"k": "v"}})], request()) == "ImplicitDeny"
    assert decide([statement({"StringNotEquals": {"k": "v"}})], request()) == "Allow"
    assert decide([statement({"ArnLikeIfExists": {"k": "arn:aws:s:*:1:*"}})], request()) == "Allow"
    assert decide([statement({"ArnLikeIfExists": {"k": "arn:aws:s:*:1:*"}})],
                  request(k="arn:aws:s:eu-west-1:2:rule/x")) == "ImplicitDeny"  # fmt: skip


def test_arn_like_matches_each_part_on_its_own():
    pattern = statement({"ArnLike": {"k": "arn:aws:iam::*:role/app-*"}})
    assert decide([pattern], request(k="arn:aws:iam::2:role/app-x")) == "Allow"
    # A wildcard in the resource part does not reach back across a colon.
    assert decide([pattern], request(k="arn:aws:iam::2:role/other:role/app-x")) == "ImplicitDeny"


def test_a_boundary_caps_what_a_policy_allows_and_a_deny_in_either_wins():
    everything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    nothing_here = statement({"StringEquals": {"k": "v"}})
    assert decide_within([everything], nothing_here, request()) == "ImplicitDeny"
    assert decide_within([everything], nothing_here, request(k="v")) == "Allow"
    denied = statement({"StringEquals": {"k": "v"}}, effect="Deny")
    assert decide_within([everything, denied], everything, request(k="v")) == "Deny"
