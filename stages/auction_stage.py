"""`AuctionStage`: one deployable copy of the system (dev, staging or prod)."""

from __future__ import annotations

from aws_cdk import Aspects, Environment, Stage
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from auction_constructs.checkov import APP_WIDE_SKIPS, SkipForEvery
from stages.account_stack import AccountSettingsStack
from stages.auction_stack import AuctionStack
from stages.settings import StageSettings

# With this flag (cdk.json) a function's version also hashes its layers, so a change to the
# layer alone publishes new versions and moves every `live` alias. aws-cdk-lib 2.273 has
# no constant for it in `cx_api`.
RECOGNIZE_LAYER_VERSION = "@aws-cdk/aws-lambda:recognizeLayerVersion"


class AuctionStage(Stage):
    """The auction stack in the stage's account and region, checked by cdk-nag."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: StageSettings,
        pipeline_account: str | None = None,
        sets_up_account: bool = True,
    ) -> None:
        """`pipeline_account`: the account whose pipeline checks this stage (smoke test, bake).

        `sets_up_account`: this stage deploys its account's shared settings (the first
        stage in each account does; a later one in the same account finds them there).
        """
        environment = Environment(account=settings.account, region=settings.region)
        super().__init__(scope, id_, env=environment)
        self.settings = settings
        # Stable name: moving the stack between apps or pipelines must not replace it.
        self.stack = AuctionStack(
            self,
            "Auction",
            settings=settings,
            pipeline_account=pipeline_account,
            stack_name=f"energy-auction-{settings.name}",
        )
        if sets_up_account:
            self.stack.add_stack_dependency(AccountSettingsStack(self, "Account"))
        # Aspects on the App do not reach into a Stage: each stage gets its own here.
        # Turning the flag on renames every version, code unchanged, and CloudFormation
        # cannot publish a duplicate version: this aspect changes each function's
        # description once, so the first release with the flag publishes all of them.
        # Removing it later costs the same again (docs/releasing.md).
        Aspects.of(self).add(lambda_.FunctionVersionUpgrade(RECOGNIZE_LAYER_VERSION))
        Aspects.of(self).add(AwsSolutionsChecks(verbose=True))
        Aspects.of(self).add(SkipForEvery(APP_WIDE_SKIPS))
