"""Each stage in an account of its own, none in the pipeline's: what cdk.json may say."""

from __future__ import annotations

import copy

import pytest

from stages.delivery_pipeline import accounts_set_up_by
from stages.settings import load_pipeline_settings, load_stage_settings
from tests.conftest import TEST_AUCTION_CONTEXT


def with_accounts(**accounts: str) -> dict:
    """The tests' `auction` settings with some accounts changed (`pipeline=`, `dev=`...)."""
    auction = copy.deepcopy(TEST_AUCTION_CONTEXT)
    for where, account in accounts.items():
        target = auction["pipeline"] if where == "pipeline" else auction["stages"][where]
        target["account"] = account
    return auction


def test_the_pipeline_and_each_stage_have_an_account_of_their_own():
    pipeline = load_pipeline_settings(TEST_AUCTION_CONTEXT)
    stages = load_stage_settings(TEST_AUCTION_CONTEXT)

    accounts = [pipeline.account, *(s.account for s in stages)]
    assert len(set(accounts)) == len(accounts) == 4


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_synthesis_refuses_a_stage_in_the_pipeline_s_account_naming_it(stage, tmp_path):
    from pipeline_app import build_app

    pipeline_account = TEST_AUCTION_CONTEXT["pipeline"]["account"]
    auction = with_accounts(**{stage: pipeline_account})

    expected = (
        rf"stages\.{stage} shares the pipeline's account {pipeline_account}: give it an "
        rf"account of its own \(auction\.stages\.{stage}\.account in cdk\.json\)"
    )
    with pytest.raises(ValueError, match=expected):
        build_app(auction_context=auction, outdir=str(tmp_path))


def test_every_stage_in_the_pipeline_s_account_is_named(tmp_path):
    from pipeline_app import build_app

    pipeline_account = TEST_AUCTION_CONTEXT["pipeline"]["account"]
    auction = with_accounts(dev=pipeline_account, prod=pipeline_account)

    with pytest.raises(ValueError, match=r"stages\.dev shares .*; stages\.prod shares "):
        build_app(auction_context=auction, outdir=str(tmp_path))


def test_two_stages_may_share_an_account_and_the_first_sets_it_up():
    stages = load_stage_settings(with_accounts(staging="555555555555", prod="555555555555"))

    # Stages sharing an account are allowed (not the pipeline's): the first one deploys the
    # account's shared settings (`energy-auction-account`), the later one finds them there.
    assert accounts_set_up_by(stages) == {"dev", "staging"}
    assert accounts_set_up_by(load_stage_settings(TEST_AUCTION_CONTEXT)) == {
        "dev",
        "staging",
        "prod",
    }
